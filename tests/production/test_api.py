"""The production API under /api/v1/production/: nested BOM lines, reads, work order actions, 400s."""

import datetime
from decimal import Decimal

import pytest
from django_tenants.utils import tenant_context

from inventory.models import Location, ReservationEntry, StockLevel
from inventory.services import stock_receive
from production.models import Bom, BomLine, WorkOrder
from tests.inventory.conftest import logged_in

D = Decimal
BASE = "/api/v1/production"


@pytest.fixture
def acme_api(acme, acme_client):
    return logged_in(acme_client, acme)


def post(client, url, payload=None):
    return client.post(url, payload or {}, content_type="application/json")


def test_anonymous_requests_are_refused(acme_client, in_acme):
    assert acme_client.get(f"{BASE}/boms/").status_code in {401, 403}


def test_bom_is_created_with_nested_lines(acme_api, item):
    bike, frame, wheel = item("BIKE"), item("FRAME"), item("WHEEL")
    response = post(
        acme_api,
        f"{BASE}/boms/",
        {
            "item": bike.pk,
            "version": "A",
            "lines": [
                {"component": frame.pk, "quantity": "1"},
                {"component": wheel.pk, "quantity": "2", "scrap_percent": "5", "note": "front+rear"},
            ],
        },
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert [(line["component_sku"], line["quantity"], line["scrap_percent"]) for line in body["lines"]] == [
        ("FRAME", "1.0000", "0.00"),
        ("WHEEL", "2.0000", "5.00"),
    ]
    assert acme_api.get(f"{BASE}/boms/{body['id']}/").json()["lines"][1]["note"] == "front+rear"


def test_bom_lines_are_replaced_by_an_update(acme_api, item, make_bom):
    bike, frame, wheel = item("BIKE"), item("FRAME"), item("WHEEL")
    bom = make_bom(bike, (frame, 1))
    response = acme_api.patch(
        f"{BASE}/boms/{bom.pk}/", {"lines": [{"component": wheel.pk, "quantity": "2"}]}, content_type="application/json"
    )
    assert response.status_code == 200, response.json()
    assert list(bom.lines.values_list("component__sku", "quantity")) == [("WHEEL", D(2))]


@pytest.mark.parametrize(
    ("owner", "component", "quantity", "scrap", "message"),
    [
        ("B", "A", "1", "0", "cycle: B -> A -> B"),  # A already contains B
        ("A", "A", "1", "0", "line 1: A is the BOM's own item"),
        ("A", "B", "0", "0", "line 1 (B): quantity must be greater than zero"),
        ("A", "B", "-2", "0", "line 1 (B): quantity must be greater than zero"),
        ("A", "B", "1", "101", "line 1 (B): scrap percentage must be between 0 and 100"),
    ],
)
def test_bad_bom_is_a_400_on_the_lines_field_and_writes_nothing(
    acme_api, item, make_bom, owner, component, quantity, scrap, message
):
    parts = {"A": item("A"), "B": item("B")}
    make_bom(parts["A"], (parts["B"], 1))
    counts = (Bom.objects.count(), BomLine.objects.count())
    line = {"component": parts[component].pk, "quantity": quantity, "scrap_percent": scrap}
    response = post(acme_api, f"{BASE}/boms/", {"item": parts[owner].pk, "version": "2", "lines": [line]})
    assert response.status_code == 400
    assert any(message in text for text in response.json()["lines"]), response.json()
    assert (Bom.objects.count(), BomLine.objects.count()) == counts


def test_explosion_and_where_used_are_read_by_item(acme_api, item, make_bom):
    bike, wheel, spoke = item("BIKE"), item("WHEEL"), item("SPOKE")
    make_bom(bike, (wheel, 2, 5))
    make_bom(wheel, (spoke, 36, 2))
    body = acme_api.get(f"{BASE}/explosion/{bike.pk}/", {"quantity": "10"}).json()
    # WHEEL 10 x 2 x 1.05 = 21; SPOKE 21 x 36 x 1.02 = 771.12
    assert [(row["depth"], row["sku"], row["total_quantity"]) for row in body["rows"]] == [
        (1, "WHEEL", "21"),
        (2, "SPOKE", "771.12"),
    ]
    assert body["leaves"] == [
        {"item_id": spoke.pk, "sku": "SPOKE", "name": "Spoke", "uom": "pcs", "total_quantity": "771.12"}
    ]
    used = acme_api.get(f"{BASE}/where-used/{spoke.pk}/").json()
    assert [(row["depth"], row["parent_sku"]) for row in used] == [(1, "WHEEL"), (2, "BIKE")]


def test_explosion_quantity_must_be_positive(acme_api, item):
    assert acme_api.get(f"{BASE}/explosion/{item('A').pk}/", {"quantity": "0"}).status_code == 400


@pytest.fixture
def pump(item, make_bom, planner):
    pump, housing = item("PUMP"), item("HOUSING")
    make_bom(pump, (housing, 2))
    receiving = Location.objects.get(is_default_receiving=True)
    stock_receive(item=housing, location=receiving, quantity=10, user=planner)
    return pump, housing, receiving


def test_work_order_goes_through_its_actions(acme_api, pump):
    product, housing, receiving = pump
    created = post(acme_api, f"{BASE}/work-orders/", {"item": product.pk, "quantity": "4", "due_date": "2027-01-31"})
    assert created.status_code == 201, created.json()
    url = f"{BASE}/work-orders/{created.json()['id']}"
    released = post(acme_api, f"{url}/release/")
    assert released.status_code == 200, released.json()
    assert released.json()["state"] == "released"
    assert released.json()["components"] == [
        {
            "item": housing.pk,
            "sku": "HOUSING",
            "required_quantity": "8.0000",
            "reserved_quantity": "8.0000",
            "consumed_quantity": "0.0000",
        }
    ]
    assert post(acme_api, f"{url}/start/").json()["state"] == "in_progress"
    partial = post(acme_api, f"{url}/complete/", {"quantity": "1"}).json()
    assert (partial["state"], partial["completed_quantity"]) == ("in_progress", "1.0000")
    assert post(acme_api, f"{url}/complete/").json()["state"] == "done"
    assert StockLevel.objects.get(item=housing, location=receiving).on_hand == D(2)
    assert StockLevel.objects.get(item=product, location=receiving).on_hand == D(4)


def test_release_with_a_shortage_is_a_400_listing_it_and_reserves_nothing(acme_api, pump):
    product = pump[0]
    created = post(acme_api, f"{BASE}/work-orders/", {"item": product.pk, "quantity": "6", "due_date": "2027-01-31"})
    entries = ReservationEntry.objects.count()
    response = post(acme_api, f"{BASE}/work-orders/{created.json()['id']}/release/")
    assert response.status_code == 400
    assert response.json()["components"] == [
        f"cannot release {created.json()['number']}: not enough components at RECEIVING: HOUSING needs 12, 10 available"
    ]
    assert ReservationEntry.objects.count() == entries
    assert WorkOrder.objects.get().state == "draft"


def test_an_invalid_transition_is_a_400_on_state(acme_api, pump):
    created = post(acme_api, f"{BASE}/work-orders/", {"item": pump[0].pk, "quantity": "1", "due_date": "2027-01-31"})
    response = post(acme_api, f"{BASE}/work-orders/{created.json()['id']}/complete/")
    assert response.status_code == 400
    assert "release and start it first" in response.json()["state"][0]


def test_only_a_draft_can_be_edited_or_deleted(acme_api, pump):
    created = post(acme_api, f"{BASE}/work-orders/", {"item": pump[0].pk, "quantity": "1", "due_date": "2027-01-31"})
    url = f"{BASE}/work-orders/{created.json()['id']}/"
    edited = acme_api.patch(url, {"quantity": "2"}, content_type="application/json")
    assert edited.json()["quantity"] == "2.0000"
    post(acme_api, f"{url}release/")
    assert acme_api.patch(url, {"quantity": "3"}, content_type="application/json").status_code == 400
    assert acme_api.delete(url).status_code == 400
    assert WorkOrder.objects.get().quantity == D(2)


def test_mrp_report_lists_shortages(acme_api, pump):
    product = pump[0]
    post(acme_api, f"{BASE}/work-orders/", {"item": product.pk, "quantity": "6", "due_date": "2027-01-31"})
    body = acme_api.get(f"{BASE}/mrp/").json()
    # 6 pumps need 12 HOUSING, 10 available -> buy 2
    assert [(line["sku"], line["shortage"], line["action"]) for line in body] == [("HOUSING", "2", "buy")]


# --- Isolation: globex never reads or acts on acme's BOMs and work orders -----------------------------------------
@pytest.fixture
def acme_records(acme, pump, make_bom):
    product = pump[0]
    from production.services import work_order_create

    work_order = work_order_create(item=product, quantity=1, due_date=datetime.date(2027, 1, 31), user=None)
    return {"bom": Bom.objects.get(item=product), "work_order": work_order, "item": product}


def test_globex_user_on_globex_host_gets_404_for_acme_ids(acme_records, globex, globex_client):
    client = logged_in(globex_client, globex)
    bom, work_order, product = acme_records["bom"], acme_records["work_order"], acme_records["item"]
    for url in [
        f"{BASE}/boms/{bom.pk}/",
        f"{BASE}/work-orders/{work_order.pk}/",
        f"{BASE}/explosion/{product.pk}/",
        f"{BASE}/where-used/{product.pk}/",
    ]:
        response = client.get(url)
        assert response.status_code == 404, url
        assert b"PUMP" not in response.content
    for action in ["release", "start", "complete", "cancel"]:
        assert post(client, f"{BASE}/work-orders/{work_order.pk}/{action}/").status_code == 404
    assert client.delete(f"{BASE}/boms/{bom.pk}/").status_code == 404
    assert client.get(f"{BASE}/boms/").json()["count"] == 0
    assert client.get(f"{BASE}/work-orders/").json()["count"] == 0
    assert b"PUMP" not in client.get(f"{BASE}/mrp/").content


def test_acme_session_does_not_work_on_globex_host(acme_records, acme, acme_client, globex):
    from tests.conftest import host_of

    client = logged_in(acme_client, acme)
    work_order = acme_records["work_order"]
    response = client.get(f"{BASE}/work-orders/{work_order.pk}/", HTTP_HOST=host_of(globex))
    assert response.status_code in {401, 403}
    response = client.post(f"{BASE}/work-orders/{work_order.pk}/release/", HTTP_HOST=host_of(globex))
    assert response.status_code in {401, 403}
    with tenant_context(acme):
        assert WorkOrder.objects.get(pk=work_order.pk).state == "draft"


def test_unused_bom_is_deleted_and_a_used_one_is_refused(acme_api, pump):
    product = pump[0]
    unused = Bom.objects.create(item=product, version="draft", is_active=False)
    assert acme_api.delete(f"{BASE}/boms/{unused.pk}/").status_code == 204
    created = post(acme_api, f"{BASE}/work-orders/", {"item": product.pk, "quantity": "1", "due_date": "2027-01-31"})
    post(acme_api, f"{BASE}/work-orders/{created.json()['id']}/release/")
    used = Bom.objects.get(item=product, is_active=True)
    response = acme_api.delete(f"{BASE}/boms/{used.pk}/")
    assert response.status_code == 400
    assert "deactivate it instead" in response.json()["bom"][0]
    assert Bom.objects.filter(pk=used.pk).exists()


def test_list_endpoints_take_the_same_number_of_queries_for_more_rows(acme_api, item, make_bom):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from production.services import work_order_create

    def add(n):
        for i in range(n):
            product, part = item(f"P{n}-{i}"), item(f"C{n}-{i}")
            make_bom(product, (part, 1))
            work_order_create(item=product, quantity=1, due_date=datetime.date(2027, 1, 31), user=None)

    def count(url):
        acme_api.get(url)  # warm the host routing cache: count the page's own queries only
        with CaptureQueriesContext(connection) as captured:
            assert acme_api.get(url).status_code == 200
        return len(captured.captured_queries)

    add(2)
    few = (count(f"{BASE}/boms/"), count(f"{BASE}/work-orders/"))
    add(8)
    assert (count(f"{BASE}/boms/"), count(f"{BASE}/work-orders/")) == few


def test_openapi_schema_describes_the_production_endpoints(acme_api):
    response = acme_api.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    paths = set(response.json()["paths"])
    assert {
        f"{BASE}/boms/",
        f"{BASE}/boms/{{id}}/",
        f"{BASE}/explosion/{{item_id}}/",
        f"{BASE}/where-used/{{item_id}}/",
        f"{BASE}/work-orders/{{id}}/release/",
        f"{BASE}/work-orders/{{id}}/complete/",
        f"{BASE}/mrp/",
    } <= paths
