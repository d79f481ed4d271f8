"""An unfiltered order list is read through prepared statements (orders.api.views._OrderViewSet.prepared_head): it
answers the very bytes the queryset path answers (the same list asked with `?page=1` takes that path)."""

import pytest
from django.contrib.auth import get_user_model
from django_tenants.utils import tenant_context

from core.api_reads import PageNumberPagination
from tests.inventory.conftest import logged_in


@pytest.fixture
def api(acme, acme_client):
    return logged_in(acme_client, acme)


def post(client, url, data):
    response = client.post(url, data, content_type="application/json")
    assert response.status_code == 201, response.content
    return response.json()


@pytest.fixture
def orders(api, customer, supplier, bolt, nut, store, next_week):
    """Sales and purchase orders of one, two and three lines, one of them confirmed."""
    day = next_week.isoformat()
    made = []
    for n in range(1, 4):
        sale = [
            {"item": item.pk, "quantity": f"{n}", "unit_price": "2.50", "promised_date": day} for item in (bolt, nut)
        ]
        buy = [{"item": bolt.pk, "quantity": f"{n}5", "unit_cost": "0.40", "expected_date": day}] * n
        made.append(
            post(api, "/api/v1/sales-orders/", {"customer": customer.pk, "location": store.pk, "lines": sale[:n]})
        )
        post(api, "/api/v1/purchase-orders/", {"supplier": supplier.pk, "lines": buy})
    assert api.post(f"/api/v1/sales-orders/{made[0]['id']}/confirm/").status_code == 200
    return made


@pytest.mark.parametrize("url", ["/api/v1/sales-orders/", "/api/v1/purchase-orders/"])
@pytest.mark.parametrize("page_size", [2, 3, 50])
def test_an_unfiltered_list_answers_the_same_bytes_as_the_queryset_path(api, orders, monkeypatch, url, page_size):
    monkeypatch.setattr(PageNumberPagination, "page_size", page_size)
    prepared = api.get(url)
    assert prepared.status_code == 200
    assert prepared.content == api.get(f"{url}?page=1").content
    assert prepared.json()["count"] == 3


def test_each_listed_order_holds_its_own_lines(api, orders):
    listed = {
        row["id"]: [line["id"] for line in row["lines"]] for row in api.get("/api/v1/sales-orders/").json()["results"]
    }
    assert listed == {order["id"]: [line["id"] for line in order["lines"]] for order in orders}
    assert [len(lines) for lines in listed.values()] == [2, 2, 1]


def test_the_prepared_list_answers_each_tenant_its_own_orders(api, orders, globex_client, globex):
    from tests.orders.factories import SalesOrderLineFactory

    assert api.get("/api/v1/sales-orders/").json()["count"] == 3
    with tenant_context(globex):
        SalesOrderLineFactory()
        globex_client.force_login(get_user_model().objects.get(username="boss"))
    body = globex_client.get("/api/v1/sales-orders/").json()
    assert body["count"] == 1
    assert {row["id"] for row in body["results"]}.isdisjoint(order["id"] for order in orders)


@pytest.mark.parametrize("kind", ["sales-orders", "purchase-orders"])
def test_an_order_read_without_parameters_answers_the_same_bytes_as_the_queryset_path(api, orders, kind):
    listed = api.get(f"/api/v1/{kind}/").json()["results"]
    for row in listed:
        prepared = api.get(f"/api/v1/{kind}/{row['id']}/")
        assert prepared.status_code == 200
        assert prepared.content == api.get(f"/api/v1/{kind}/{row['id']}/?format=json").content
        assert prepared.json() == row


@pytest.mark.parametrize("pk", ["999999", "99999999999999999999999", "0"])
def test_a_missing_order_is_drfs_404(api, orders, pk):
    prepared = api.get(f"/api/v1/sales-orders/{pk}/")
    assert prepared.status_code == 404
    assert prepared.content == api.get(f"/api/v1/sales-orders/{pk}/?format=json").content


def test_an_order_read_answers_each_tenant_its_own_order(api, orders, globex_client, globex):
    from tests.orders.factories import SalesOrderLineFactory

    with tenant_context(globex):
        theirs = SalesOrderLineFactory(order__customer_reference="GLOBEX-REF").order
        globex_client.force_login(get_user_model().objects.get(username="boss"))
    assert globex_client.get(f"/api/v1/sales-orders/{theirs.pk}/").json()["customer_reference"] == "GLOBEX-REF"
    for order in orders:  # acme's ids on globex's host: globex's order of that id, or a 404; never acme's
        answer = globex_client.get(f"/api/v1/sales-orders/{order['id']}/")
        assert answer.status_code == (200 if order["id"] == theirs.pk else 404)
        if answer.status_code == 200:
            assert answer.json()["customer_reference"] == "GLOBEX-REF"
    mine = api.get(f"/api/v1/sales-orders/{orders[0]['id']}/").json()
    assert mine["customer_reference"] != "GLOBEX-REF"
