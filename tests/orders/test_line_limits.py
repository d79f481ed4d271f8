"""Lines per order are capped (DOCUMENT_MAX_LINES): refused with a message on `lines` before any line is looked at,
and a long order costs the same number of queries as a short one."""

import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from core.limits import TooManyLines
from orders import services
from orders.models import PurchaseOrder, SalesOrder
from tests.inventory.conftest import logged_in
from tests.orders.factories import ItemFactory


@pytest.fixture
def cap(settings):
    settings.DOCUMENT_MAX_LINES = 5
    return 5


@pytest.fixture
def api(acme, acme_client):
    return logged_in(acme_client, acme)


def sales_lines(items, next_week):
    return [
        {"item": item.pk, "quantity": "1", "unit_price": "2", "promised_date": next_week.isoformat()} for item in items
    ]


def post(client, url, body):
    return client.post(url, json.dumps(body), content_type="application/json")


def test_sales_order_past_the_cap_is_a_400_on_lines_before_the_lines_are_validated(
    api, cap, customer, store, django_assert_max_num_queries
):
    junk = [{"item": 10**9, "quantity": "x"}] * (cap + 1)  # every line wrong: the cap is said first, and only it
    with django_assert_max_num_queries(12):  # routing, session and user; no query per line
        response = post(api, "/api/v1/sales-orders/", {"customer": customer.pk, "location": store.pk, "lines": junk})
    assert response.status_code == 400
    assert response.json() == {"lines": ["at most 5 lines in one document (6 sent); split it into several"]}
    assert not SalesOrder.objects.exists()


def test_purchase_order_past_the_cap_is_a_400_on_lines(api, cap, supplier, bolt):
    lines = [{"item": bolt.pk, "quantity": "1", "unit_cost": "1"}] * (cap + 1)
    response = post(api, "/api/v1/purchase-orders/", {"supplier": supplier.pk, "lines": lines})
    assert response.status_code == 400
    assert "at most 5 lines" in response.json()["lines"][0]
    assert not PurchaseOrder.objects.exists()


def test_replacing_a_drafts_lines_past_the_cap_is_refused(api, cap, customer, store, bolt, next_week):
    order = post(
        api,
        "/api/v1/sales-orders/",
        {"customer": customer.pk, "location": store.pk, "lines": sales_lines([bolt], next_week)},
    ).json()
    response = api.patch(
        f"/api/v1/sales-orders/{order['id']}/",
        json.dumps({"lines": sales_lines([bolt] * (cap + 1), next_week)}),
        content_type="application/json",
    )
    assert response.status_code == 400
    assert "at most 5 lines" in response.json()["lines"][0]
    assert len(api.get(f"/api/v1/sales-orders/{order['id']}/").json()["lines"]) == 1


def test_an_order_at_the_cap_is_created(api, cap, customer, store, next_week, in_acme):
    items = [ItemFactory() for _ in range(cap)]
    body = {"customer": customer.pk, "location": store.pk, "lines": sales_lines(items, next_week)}
    response = post(api, "/api/v1/sales-orders/", body)
    assert response.status_code == 201, response.json()
    assert [line["item_sku"] for line in response.json()["lines"]] == [item.sku for item in items]


def test_the_services_refuse_more_lines_than_the_cap(cap, customer, supplier, store, bolt, clerk, next_week):
    lines = [{"item": bolt, "quantity": 1, "unit_price": 1, "unit_cost": 1, "promised_date": next_week}] * (cap + 1)
    with pytest.raises(TooManyLines) as refused:
        services.sales_order_create(customer=customer, location=store, lines=lines, user=clerk)
    assert refused.value.field == "lines"
    with pytest.raises(TooManyLines):
        services.purchase_order_create(supplier=supplier, lines=iter(lines), user=clerk)  # any iterable
    assert not SalesOrder.objects.exists() and not PurchaseOrder.objects.exists()


def test_a_shipment_with_more_entries_than_the_cap_is_refused(cap, customer, store, bolt, clerk, next_week):
    line = {"item": bolt, "quantity": 1, "unit_price": 1, "promised_date": next_week}
    order = services.sales_order_create(customer=customer, location=store, lines=[line], user=clerk)
    services.sales_order_confirm(order=order, user=clerk)
    line = order.lines.get()
    with pytest.raises(TooManyLines):
        services.shipment_create(order=order, lines=[{"line": line, "quantity": 1}] * (cap + 1), user=clerk)


def test_creating_an_order_costs_the_same_queries_for_few_lines_as_for_many(api, customer, store, next_week, in_acme):
    items = [ItemFactory() for _ in range(41)]

    def queries(count: int) -> int:
        body = {"customer": customer.pk, "location": store.pk, "lines": sales_lines(items[:count], next_week)}
        with CaptureQueriesContext(connection) as captured:
            response = post(api, "/api/v1/sales-orders/", body)
        assert response.status_code == 201, response.json()
        assert len(response.json()["lines"]) == count
        return len(captured)

    queries(1)  # the first request of the session caches what it looks up once
    assert queries(2) == queries(40)


def test_a_long_order_leaves_one_audit_entry_with_its_line_count(api, customer, store, next_week):
    from audit.models import AuditEntry

    items = [ItemFactory() for _ in range(30)]
    body = {"customer": customer.pk, "location": store.pk, "lines": sales_lines(items, next_week)}
    order_id = post(api, "/api/v1/sales-orders/", body).json()["id"]
    assert AuditEntry.objects.filter(object_type="orders.salesorder", object_id=str(order_id)).count() == 1
    [entry] = AuditEntry.objects.filter(action="orders.sales_order_create", object_id=str(order_id))
    assert entry.changes["lines"] == [None, 30]
