"""The orders API on a tenant host: nested creates, state actions, field errors, idempotent retries, reports."""

import datetime
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.utils import timezone
from django_tenants.utils import tenant_context

from inventory.services import stock_receive
from orders.models import IdempotencyRecord, PurchaseOrder, SalesOrder
from tests.orders.support import snapshot

D = Decimal


@pytest.fixture
def api(acme, acme_client):
    """acme's client, signed in as acme's admin."""
    with tenant_context(acme):
        acme_client.force_login(get_user_model().objects.get(username="boss"))
    return acme_client


def post(client, url, data, **headers):
    return client.post(url, data, content_type="application/json", headers=headers)


@pytest.fixture
def sales_body(customer, bolt, store, next_week):
    return {
        "customer": customer.pk,
        "location": store.pk,
        "customer_reference": "PO-777",
        "lines": [{"item": bolt.pk, "quantity": "10", "unit_price": "2.50", "promised_date": next_week.isoformat()}],
    }


@pytest.fixture
def purchase_body(supplier, bolt, next_week):
    return {
        "supplier": supplier.pk,
        "lines": [{"item": bolt.pk, "quantity": "8", "unit_cost": "0.40", "expected_date": next_week.isoformat()}],
    }


def test_anonymous_requests_are_refused(acme_client):
    assert acme_client.get("/api/v1/sales-orders/").status_code == 403


def test_create_a_sales_order_with_nested_lines(api, sales_body, bolt):
    response = post(api, "/api/v1/sales-orders/", sales_body)
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["status"] == "draft"
    assert body["number"] == f"SO-{body['id']:05d}"
    assert body["created_by"] == "boss"
    [line] = body["lines"]
    assert (line["item_sku"], line["quantity"], line["unit_price"]) == ("BOLT-10", "10.0000", "2.5000")
    assert api.get(f"/api/v1/sales-orders/{body['id']}/").json()["lines"] == body["lines"]


def test_sales_order_lifecycle_through_the_api(api, sales_body, bolt, store):
    stock_receive(item=bolt, location=store, quantity=10, user=None)
    order = post(api, "/api/v1/sales-orders/", sales_body).json()
    confirmed = post(api, f"/api/v1/sales-orders/{order['id']}/confirm/", {})
    assert confirmed.status_code == 200
    assert (confirmed.json()["status"], confirmed.json()["lines"][0]["reserved_quantity"]) == ("confirmed", "10.0000")
    line_id = order["lines"][0]["id"]
    shipped = post(
        api,
        "/api/v1/shipments/",
        {"order": order["id"], "reference": "DN-1", "lines": [{"line": line_id, "quantity": "4"}]},
    )
    assert shipped.status_code == 201, shipped.json()
    assert shipped.json()["shipped_lines"][0]["quantity"] == "4.0000"
    assert shipped.json()["shipped_lines"][0]["move"] is not None
    assert api.get(f"/api/v1/sales-orders/{order['id']}/").json()["status"] == "partially_shipped"
    post(api, "/api/v1/shipments/", {"order": order["id"], "lines": [{"line": line_id, "quantity": "6"}]})
    assert api.get(f"/api/v1/sales-orders/{order['id']}/").json()["status"] == "shipped"
    assert len(api.get(f"/api/v1/shipments/?order={order['id']}").json()["results"]) == 2


def test_purchase_order_lifecycle_through_the_api(api, purchase_body, receiving):
    order = post(api, "/api/v1/purchase-orders/", purchase_body).json()
    assert post(api, f"/api/v1/purchase-orders/{order['id']}/send/", {}).json()["status"] == "sent"
    line_id = order["lines"][0]["id"]
    receipt = post(api, "/api/v1/receipts/", {"order": order["id"], "lines": [{"line": line_id, "quantity": "8"}]})
    assert receipt.status_code == 201, receipt.json()
    assert receipt.json()["location"] == receiving.pk
    assert api.get(f"/api/v1/purchase-orders/{order['id']}/").json()["status"] == "received"


def test_invalid_transitions_answer_400_with_the_reason(api, sales_body, purchase_body):
    order = post(api, "/api/v1/sales-orders/", sales_body).json()
    shipped = post(
        api, "/api/v1/shipments/", {"order": order["id"], "lines": [{"line": order["lines"][0]["id"], "quantity": "1"}]}
    )
    assert shipped.status_code == 400
    assert "is draft; only a confirmed or partially shipped order can ship" in shipped.json()["detail"]
    post(api, f"/api/v1/sales-orders/{order['id']}/cancel/", {"reason": "test"})
    again = post(api, f"/api/v1/sales-orders/{order['id']}/confirm/", {})
    assert again.status_code == 400
    assert "is cancelled; only a draft can be confirmed" in again.json()["detail"]
    purchase = post(api, "/api/v1/purchase-orders/", purchase_body).json()
    received = post(
        api,
        "/api/v1/receipts/",
        {"order": purchase["id"], "lines": [{"line": purchase["lines"][0]["id"], "quantity": "1"}]},
    )
    assert received.status_code == 400
    assert "only a sent or partially received order can be received" in received.json()["detail"]


def test_over_shipping_answers_400_on_the_lines_and_writes_nothing(api, sales_body, bolt, store):
    stock_receive(item=bolt, location=store, quantity=50, user=None)
    order = post(api, "/api/v1/sales-orders/", sales_body).json()
    post(api, f"/api/v1/sales-orders/{order['id']}/confirm/", {})
    before = snapshot()
    response = post(
        api,
        "/api/v1/shipments/",
        {"order": order["id"], "lines": [{"line": order["lines"][0]["id"], "quantity": "11"}]},
    )
    assert response.status_code == 400
    assert "10 still to ship" in response.json()["lines"][0]
    assert snapshot() == before


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"lines": []}, "lines"),
        ({"customer": 999999}, "customer"),
        ({"location": 999999}, "location"),
        ({"lines": [{"item": 999999, "quantity": "1", "unit_price": "1", "promised_date": "2030-01-01"}]}, "lines"),
        ({"lines": [{"item": "BOLT", "quantity": "-1", "unit_price": "1", "promised_date": "2030-01-01"}]}, "lines"),
        ({"lines": [{"quantity": "1.00001", "unit_price": "1", "promised_date": "2030-01-01"}]}, "lines"),
        ({"lines": [{"quantity": "1", "unit_price": "1", "promised_date": "soon"}]}, "lines"),
    ],
)
def test_bad_sales_order_input_answers_400_with_field_messages_and_writes_nothing(api, sales_body, change, field):
    before = snapshot()
    response = post(api, "/api/v1/sales-orders/", {**sales_body, **change})
    assert response.status_code == 400
    assert field in response.json()
    assert snapshot() == before


def test_a_zero_quantity_is_refused_by_the_service_with_the_line_number(api, sales_body):
    sales_body["lines"][0]["quantity"] = "0"
    response = post(api, "/api/v1/sales-orders/", sales_body)
    assert response.status_code == 400
    [message] = response.json()["lines"]
    assert message.startswith("line 1: quantity must be greater than zero")


def test_a_supplier_cannot_be_the_customer(api, sales_body, supplier):
    response = post(api, "/api/v1/sales-orders/", {**sales_body, "customer": supplier.pk})
    assert response.status_code == 400
    assert response.json() == {"customer": ["S-ONE is not an active customer"]}


def test_partner_codes_are_unique(api, customer):
    response = post(api, "/api/v1/partners/", {"code": customer.code, "name": "Copy", "is_customer": True})
    assert response.status_code == 400
    assert "code" in response.json()


def test_partners_are_created_and_listed(api):
    created = post(
        api, "/api/v1/partners/", {"code": "NEW", "name": "New Co", "is_supplier": True, "default_lead_time_days": 3}
    )
    assert created.status_code == 201, created.json()
    assert [p["code"] for p in api.get("/api/v1/partners/?is_supplier=true").json()["results"]] == ["NEW"]


# --- Idempotency ---------------------------------------------------------------------------------------------------
def test_a_retried_create_with_the_same_key_creates_one_order_and_replays_the_response(api, sales_body):
    first = post(api, "/api/v1/sales-orders/", sales_body, **{"Idempotency-Key": "order-42"})
    retry = post(api, "/api/v1/sales-orders/", sales_body, **{"Idempotency-Key": "order-42"})
    assert first.status_code == retry.status_code == 201
    assert retry.json() == first.json()
    assert retry.headers["Idempotent-Replayed"] == "true"
    assert SalesOrder.objects.count() == 1


def test_the_same_key_with_a_different_body_is_refused_and_creates_nothing(api, sales_body):
    post(api, "/api/v1/sales-orders/", sales_body, **{"Idempotency-Key": "order-43"})
    sales_body["lines"][0]["quantity"] = "11"
    response = post(api, "/api/v1/sales-orders/", sales_body, **{"Idempotency-Key": "order-43"})
    assert response.status_code == 422
    assert "was already used for a different request" in response.json()["detail"]
    assert SalesOrder.objects.count() == 1


def test_the_same_key_on_another_endpoint_is_refused(api, sales_body, purchase_body):
    post(api, "/api/v1/sales-orders/", sales_body, **{"Idempotency-Key": "k-1"})
    response = post(api, "/api/v1/purchase-orders/", purchase_body, **{"Idempotency-Key": "k-1"})
    assert response.status_code == 422
    assert PurchaseOrder.objects.count() == 0


def test_a_refused_create_does_not_use_up_its_key(api, sales_body):
    bad = {**sales_body, "lines": []}
    assert post(api, "/api/v1/sales-orders/", bad, **{"Idempotency-Key": "k-2"}).status_code == 400
    assert not IdempotencyRecord.objects.filter(key__endswith=":k-2").exists()
    assert post(api, "/api/v1/sales-orders/", sales_body, **{"Idempotency-Key": "k-2"}).status_code == 201


def test_without_a_key_each_post_creates(api, sales_body):
    post(api, "/api/v1/sales-orders/", sales_body)
    post(api, "/api/v1/sales-orders/", sales_body)
    assert SalesOrder.objects.count() == 2


def test_a_retried_shipment_ships_once(api, sales_body, bolt, store):
    stock_receive(item=bolt, location=store, quantity=10, user=None)
    order = post(api, "/api/v1/sales-orders/", sales_body).json()
    post(api, f"/api/v1/sales-orders/{order['id']}/confirm/", {})
    body = {"order": order["id"], "lines": [{"line": order["lines"][0]["id"], "quantity": "3"}]}
    first = post(api, "/api/v1/shipments/", body, **{"Idempotency-Key": "ship-1"})
    retry = post(api, "/api/v1/shipments/", body, **{"Idempotency-Key": "ship-1"})
    assert first.json() == retry.json()
    assert api.get(f"/api/v1/sales-orders/{order['id']}/").json()["lines"][0]["shipped_quantity"] == "3.0000"


def test_an_empty_or_overlong_key_is_refused(api, sales_body):
    for key in (" ", "k" * 256):
        response = post(api, "/api/v1/sales-orders/", sales_body, **{"Idempotency-Key": key})
        assert response.status_code == 400
        assert "Idempotency-Key" in response.json()
    assert SalesOrder.objects.count() == 0


# --- Filters and reports -------------------------------------------------------------------------------------------
def test_sales_orders_filter_by_status_partner_and_late(api, sales_body, customer, today):
    late_body = {
        **sales_body,
        "lines": [{**sales_body["lines"][0], "promised_date": (today - datetime.timedelta(days=2)).isoformat()}],
    }
    late = post(api, "/api/v1/sales-orders/", late_body).json()
    on_time = post(api, "/api/v1/sales-orders/", sales_body).json()
    post(api, f"/api/v1/sales-orders/{late['id']}/confirm/", {})
    post(api, f"/api/v1/sales-orders/{on_time['id']}/confirm/", {})
    post(api, "/api/v1/sales-orders/", sales_body)  # a draft
    ids = lambda url: [o["id"] for o in api.get(url).json()["results"]]  # noqa: E731
    assert ids("/api/v1/sales-orders/?late=true") == [late["id"]]
    assert set(ids("/api/v1/sales-orders/?status=confirmed")) == {late["id"], on_time["id"]}
    assert len(ids(f"/api/v1/sales-orders/?customer={customer.pk}")) == 3


def test_report_endpoints(api, sales_body, today):
    sales_body["lines"][0]["promised_date"] = (today - datetime.timedelta(days=4)).isoformat()
    order = post(api, "/api/v1/sales-orders/", sales_body).json()
    post(api, f"/api/v1/sales-orders/{order['id']}/confirm/", {})
    board = api.get("/api/v1/orders-dashboard/").json()
    assert (board["sales_counts"]["confirmed"], board["open_sales_value"], board["late_sales_lines"]) == (1, "25.00", 1)
    [late] = api.get("/api/v1/late-shipments/").json()
    assert (late["number"], late["open_quantity"], late["days_late"]) == (order["number"], "10.0000", 4)
    assert api.get("/api/v1/supplier-lateness/").json() == []


def test_the_schema_documents_the_idempotency_header(api):
    response = api.get("/api/schema/", headers={"Accept": "application/json"})
    assert response.status_code == 200
    assert b"Idempotency-Key" in response.content


def test_reserve_action(api, sales_body, bolt, store):
    order = post(api, "/api/v1/sales-orders/", sales_body).json()
    post(api, f"/api/v1/sales-orders/{order['id']}/confirm/", {})
    stock_receive(item=bolt, location=store, quantity=7, user=None)
    response = post(api, f"/api/v1/sales-orders/{order['id']}/reserve/", {})
    assert response.status_code == 200
    assert response.json()["lines"][0]["reserved_quantity"] == "7.0000"


def test_list_endpoints_use_a_fixed_number_of_queries(api, sales_body, purchase_body, django_assert_max_num_queries):
    for _ in range(5):
        post(api, "/api/v1/sales-orders/", sales_body)
        post(api, "/api/v1/purchase-orders/", purchase_body)
    with django_assert_max_num_queries(8):
        assert api.get("/api/v1/sales-orders/").json()["count"] == 5
    with django_assert_max_num_queries(8):
        assert api.get("/api/v1/purchase-orders/").json()["count"] == 5


def test_old_idempotency_keys_are_purged_and_recent_ones_kept(api, sales_body, in_acme):
    post(api, "/api/v1/sales-orders/", sales_body, **{"Idempotency-Key": "old"})
    post(api, "/api/v1/sales-orders/", sales_body, **{"Idempotency-Key": "new"})
    IdempotencyRecord.objects.filter(key__endswith=":old").update(
        created_at=timezone.now() - datetime.timedelta(days=8)
    )
    call_command("purge_idempotency_keys", "--days", "7")
    assert [key.split(":")[1] for key in IdempotencyRecord.objects.values_list("key", flat=True)] == ["new"]


def test_a_draft_is_changed_with_patch_and_its_lines_replaced(api, sales_body, nut, next_week):
    order = post(api, "/api/v1/sales-orders/", sales_body).json()
    new_lines = [
        {"item": nut.pk, "quantity": "3", "unit_price": "1", "promised_date": next_week.isoformat()},
        {"item": nut.pk, "quantity": "4", "unit_price": "1", "promised_date": next_week.isoformat()},
    ]
    response = api.patch(
        f"/api/v1/sales-orders/{order['id']}/",
        {"notes": "call first", "lines": new_lines},
        content_type="application/json",
    )
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["notes"] == "call first"
    assert [(line["item_sku"], line["quantity"]) for line in body["lines"]] == [
        ("NUT-10", "3.0000"),
        ("NUT-10", "4.0000"),
    ]
    header_only = api.patch(
        f"/api/v1/sales-orders/{order['id']}/", {"customer_reference": "X-1"}, content_type="application/json"
    )
    assert len(header_only.json()["lines"]) == 2


def test_a_confirmed_order_cannot_be_changed(api, sales_body, purchase_body):
    order = post(api, "/api/v1/sales-orders/", sales_body).json()
    post(api, f"/api/v1/sales-orders/{order['id']}/confirm/", {})
    purchase = post(api, "/api/v1/purchase-orders/", purchase_body).json()
    post(api, f"/api/v1/purchase-orders/{purchase['id']}/send/", {})
    before = snapshot()
    for url in (f"/api/v1/sales-orders/{order['id']}/", f"/api/v1/purchase-orders/{purchase['id']}/"):
        response = api.patch(url, {"notes": "late edit", "lines": []}, content_type="application/json")
        assert response.status_code == 400
        response = api.patch(url, {"notes": "late edit"}, content_type="application/json")
        assert response.status_code == 400
        assert "only a draft can be changed" in response.json()["detail"]
    assert SalesOrder.objects.get(pk=order["id"]).notes == ""
    assert PurchaseOrder.objects.get(pk=purchase["id"]).notes == ""
    assert snapshot() == before


def test_a_draft_purchase_order_lines_are_replaced_with_put(api, purchase_body, supplier, nut):
    order = post(api, "/api/v1/purchase-orders/", purchase_body).json()
    body = {"supplier": supplier.pk, "lines": [{"item": nut.pk, "quantity": "2", "unit_cost": "0.10"}]}
    response = api.put(f"/api/v1/purchase-orders/{order['id']}/", body, content_type="application/json")
    assert response.status_code == 200, response.json()
    [line] = response.json()["lines"]
    assert (line["item_sku"], line["quantity"]) == ("NUT-10", "2.0000")
