"""The inventory REST API under /api/v1/: CRUD, posting moves, filters, and 400s that write nothing."""

from decimal import Decimal

import pytest

from customfields.models import CustomField
from inventory.models import Item, StockLevel, StockMove
from inventory.services import stock_receive, stock_reserve
from planning import sources
from tests.inventory.factories import ItemFactory, LocationFactory, UnitFactory

D = Decimal


def post_move(client, **payload):
    return client.post("/api/v1/moves/", payload, content_type="application/json")


def test_anonymous_requests_are_refused(acme_client, in_acme):
    assert acme_client.get("/api/v1/items/").status_code in {401, 403}


def test_item_list_is_paginated_and_searchable(acme_api, in_acme):
    ItemFactory(sku="BOLT-10", name="Bolt M10")
    ItemFactory(sku="NUT-10", name="Nut M10")
    body = acme_api.get("/api/v1/items/", {"search": "bolt"}).json()
    assert body["count"] == 1
    assert [row["sku"] for row in body["results"]] == ["BOLT-10"]


def test_item_list_filters_by_kind_and_orders_by_any_listed_field(acme_api, in_acme):
    ItemFactory(sku="A", kind=Item.Kind.RAW_MATERIAL)
    ItemFactory(sku="B", kind=Item.Kind.RAW_MATERIAL)
    ItemFactory(sku="C", kind=Item.Kind.CONSUMABLE)
    body = acme_api.get("/api/v1/items/", {"kind": "raw_material", "ordering": "-sku"}).json()
    assert [row["sku"] for row in body["results"]] == ["B", "A"]


def test_item_is_created_with_its_unit_given_by_code(acme_api, in_acme):
    CustomField.objects.create(entity="item", key="teeth", label="Teeth", field_type=CustomField.Type.NUMBER)
    response = acme_api.post(
        "/api/v1/items/",
        {"sku": "GEAR-1", "name": "Gear", "uom": "pcs", "reorder_point": "5", "custom_fields": {"teeth": 32}},
        content_type="application/json",
    )
    assert response.status_code == 201, response.json()
    item = Item.objects.get(sku="GEAR-1")
    assert (item.uom.code, item.reorder_point, item.attributes) == ("pcs", D(5), {"teeth": "32"})


def test_duplicate_sku_is_a_400_on_the_sku_field(acme_api, in_acme):
    ItemFactory(sku="GEAR-1")
    response = acme_api.post(
        "/api/v1/items/", {"sku": "GEAR-1", "name": "Gear", "uom": "pcs"}, content_type="application/json"
    )
    assert response.status_code == 400
    assert "sku" in response.json()
    assert Item.objects.filter(sku="GEAR-1").count() == 1


def test_item_with_stock_history_cannot_be_deleted(acme_api, in_acme):
    item, location = ItemFactory(sku="KEEP"), LocationFactory()
    stock_receive(item=item, location=location, quantity=1, user=None)
    response = acme_api.delete(f"/api/v1/items/{item.pk}/")
    assert response.status_code == 400
    assert "deactivate it instead" in response.json()["detail"]
    assert Item.objects.filter(pk=item.pk).exists()


def test_posting_a_receipt_updates_the_level_and_records_the_user(acme_api, in_acme):
    item, location = ItemFactory(uom=UnitFactory(code="kg")), LocationFactory()
    response = post_move(
        acme_api, item=item.pk, quantity="12.5", reason="receipt", to_location=location.pk, reference="DN-7"
    )
    assert response.status_code == 201, response.json()
    assert response.json()["created_by"] == "boss"
    assert StockLevel.objects.get(item=item, location=location).on_hand == D("12.5")


def test_issue_beyond_stock_is_a_400_naming_item_location_and_quantities(acme_api, in_acme):
    item, location = ItemFactory(sku="BOLT-10"), LocationFactory(code="A1")
    stock_receive(item=item, location=location, quantity=3, user=None)
    response = post_move(acme_api, item=item.pk, quantity="5", reason="issue", from_location=location.pk)
    assert response.status_code == 400
    assert response.json() == {"quantity": ["insufficient stock: item BOLT-10 at A1 has 3 available, 5 asked"]}
    assert StockMove.objects.count() == 1
    assert StockLevel.objects.get(item=item).on_hand == D(3)


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"quantity": "0"}, "quantity"),
        ({"quantity": "-2"}, "quantity"),
        ({"quantity": "abc"}, "quantity"),
        ({"quantity": "1.00001"}, "quantity"),
        ({"quantity": None}, "quantity"),
        ({"to_location": 987654321}, "to_location"),
        ({"to_location": "A1"}, "to_location"),
        ({"item": 987654321}, "item"),
        ({"item": None}, "item"),
        ({"reason": "teleport"}, "reason"),
        ({"reason": "issue"}, "from_location"),
        ({"from_location": "own"}, "from_location"),
    ],
)
def test_bad_move_payload_is_a_400_on_its_field_and_writes_nothing(acme_api, in_acme, change, field):
    item, location = ItemFactory(), LocationFactory()
    payload = {"item": item.pk, "quantity": "1", "reason": "receipt", "to_location": location.pk}
    if change.get("from_location") == "own":
        change = {"from_location": location.pk}
    payload.update(change)
    response = post_move(acme_api, **payload)
    assert response.status_code == 400
    assert field in response.json(), response.json()
    assert all(isinstance(message, str) for message in response.json()[field])
    assert not StockMove.objects.exists()
    assert not StockLevel.objects.filter(on_hand__gt=0).exists()


def test_moving_an_inactive_item_is_a_400_on_the_item_field(acme_api, in_acme):
    item, location = ItemFactory(sku="OLD-1", is_active=False), LocationFactory()
    response = post_move(acme_api, item=item.pk, quantity="1", reason="receipt", to_location=location.pk)
    assert response.status_code == 400
    assert "item OLD-1 is inactive" in response.json()["item"][0]
    assert not StockMove.objects.exists()


def test_moves_cannot_be_changed_or_deleted_through_the_api(acme_api, in_acme):
    move = stock_receive(item=ItemFactory(), location=LocationFactory(), quantity=1, user=None)
    url = f"/api/v1/moves/{move.pk}/"
    assert acme_api.patch(url, {"quantity": "9"}, content_type="application/json").status_code == 405
    assert acme_api.delete(url).status_code == 405
    assert StockMove.objects.get().quantity == D(1)


def test_reverse_endpoint_posts_the_mirror_move_once(acme_api, in_acme):
    item, location = ItemFactory(), LocationFactory()
    move = stock_receive(item=item, location=location, quantity=4, user=None)
    first = acme_api.post(f"/api/v1/moves/{move.pk}/reverse/", {}, content_type="application/json")
    second = acme_api.post(f"/api/v1/moves/{move.pk}/reverse/", {}, content_type="application/json")
    assert first.status_code == 201
    assert first.json()["reverses"] == move.pk
    assert second.status_code == 400
    assert StockLevel.objects.get(item=item).on_hand == D(0)


def test_count_endpoint_posts_the_difference_as_an_adjustment(acme_api, in_acme):
    item, location = ItemFactory(uom=UnitFactory(code="kg")), LocationFactory()
    stock_receive(item=item, location=location, quantity=10, user=None)
    response = acme_api.post(
        "/api/v1/moves/count/",
        {"item": item.pk, "location": location.pk, "counted_quantity": "7.5"},
        content_type="application/json",
    )
    assert response.status_code == 201, response.json()
    assert (response.json()["reason"], response.json()["quantity"]) == ("adjustment", "2.5000")
    assert StockLevel.objects.get(item=item).on_hand == D("7.5")


def test_moves_filter_by_item_location_reason_and_date_range(acme_api, in_acme):
    bolt, nut = ItemFactory(), ItemFactory()
    a1, b2 = LocationFactory(), LocationFactory()
    receipt = stock_receive(item=bolt, location=a1, quantity=5, user=None)
    stock_receive(item=nut, location=b2, quantity=5, user=None)

    def ids(**params):
        return [row["id"] for row in acme_api.get("/api/v1/moves/", params).json()["results"]]

    assert ids(item=bolt.pk) == [receipt.pk]
    assert ids(location=a1.pk) == [receipt.pk]
    assert len(ids(reason="receipt")) == 2
    assert ids(reason="issue") == []
    assert len(ids(created_at_after=receipt.created_at.isoformat())) == 2
    assert ids(created_at_before="2000-01-01T00:00:00Z") == []


def test_stock_levels_filter_items_below_their_reorder_point(acme_api, in_acme):
    low = ItemFactory(sku="LOW", reorder_point=10)
    fine = ItemFactory(sku="FINE", reorder_point=10)
    location = LocationFactory()
    stock_receive(item=low, location=location, quantity=4, user=None)
    stock_receive(item=fine, location=location, quantity=40, user=None)
    body = acme_api.get("/api/v1/stock-levels/", {"below_reorder": "true"}).json()
    assert [row["item_sku"] for row in body["results"]] == ["LOW"]
    assert body["results"][0]["available"] == "4.0000"


def test_reorder_report_counts_reserved_stock_out_and_on_order_stock_in(acme_api, in_acme):
    short = ItemFactory(sku="SHORT", reorder_point=10, reorder_quantity=50)
    covered = ItemFactory(sku="COVERED", reorder_point=10)
    location = LocationFactory()
    stock_receive(item=short, location=location, quantity=12, user=None)
    stock_reserve(item=short, location=location, quantity=5, user=None)
    on_order = sources.SupplyLine(covered.pk, D(20), None, sources.Peg("orders.purchaseorder", None, "PO-test"))
    sources.register(sources.Kind.PURCHASED, "test-po", lambda: [on_order])
    try:
        body = acme_api.get("/api/v1/reorder-report/").json()
    finally:
        sources.unregister(sources.Kind.PURCHASED, "test-po")
    assert [(row["sku"], row["available"], row["suggested_quantity"]) for row in body] == [
        ("SHORT", "7.0000", "50.0000")
    ]


def test_locations_are_created_and_moving_the_default_receiving_role_takes_it_from_the_old_one(acme_api, in_acme):
    response = acme_api.post(
        "/api/v1/locations/",
        {"code": "DOCK-2", "name": "Dock 2", "kind": "warehouse", "is_default_receiving": True},
        content_type="application/json",
    )
    assert response.status_code == 201, response.json()
    body = acme_api.get("/api/v1/locations/", {"is_default_receiving": "true"}).json()
    assert [row["code"] for row in body["results"]] == ["DOCK-2"]


def test_a_location_cannot_be_placed_inside_its_own_bin(acme_api, in_acme):
    hall = LocationFactory(code="HALL")
    shelf = LocationFactory(code="SHELF", parent=hall)
    response = acme_api.patch(f"/api/v1/locations/{hall.pk}/", {"parent": shelf.pk}, content_type="application/json")
    assert response.status_code == 400
    assert "inside it" in response.json()["parent"][0]


def test_units_are_listed(acme_api, in_acme):
    codes = [row["code"] for row in acme_api.get("/api/v1/units/").json()["results"]]
    assert {"pcs", "kg"} <= set(codes)


def test_openapi_schema_describes_the_inventory_endpoints(acme_api):
    response = acme_api.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    paths = response.json()["paths"]
    assert {"/api/v1/items/", "/api/v1/moves/", "/api/v1/moves/{id}/reverse/", "/api/v1/stock-levels/"} <= set(paths)


@pytest.mark.parametrize("page", ["/api/schema/swagger/", "/api/schema/redoc/"])
def test_api_docs_pages_render(acme_api, page):
    response = acme_api.get(page)
    assert response.status_code == 200
    assert b"/api/schema/" in response.content


@pytest.mark.parametrize("url", ["/api/v1/moves/", "/api/v1/stock-levels/", "/api/v1/items/", "/inventory/"])
def test_list_pages_cost_the_same_number_of_queries_for_3_or_12_rows(acme_api, in_acme, url):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    location = LocationFactory()

    def inventory_queries_with(rows: int) -> int:
        # Host routing and session queries depend on the routing cache's state; count the page's own queries.
        for _ in range(rows):
            stock_receive(item=ItemFactory(), location=location, quantity=1, user=None)
        with CaptureQueriesContext(connection) as captured:
            assert acme_api.get(url).status_code == 200
        return sum("inventory_" in query["sql"] for query in captured.captured_queries)

    # at most: the page, its count, and (the item list page) the locations of its filter
    assert inventory_queries_with(3) == inventory_queries_with(9) <= 3


def test_the_default_receiving_location_cannot_give_up_its_role_or_be_deleted(acme_api, in_acme):
    from inventory.selectors import default_receiving_location

    receiving = default_receiving_location()
    url = f"/api/v1/locations/{receiving.pk}/"
    refused_unset = acme_api.patch(url, {"is_default_receiving": False}, content_type="application/json")
    refused_deactivate = acme_api.patch(url, {"is_active": False}, content_type="application/json")
    refused_delete = acme_api.delete(url)
    assert [r.status_code for r in (refused_unset, refused_deactivate, refused_delete)] == [400, 400, 400]
    assert "make another location the default" in refused_unset.json()["is_default_receiving"][0]
    assert default_receiving_location() == receiving


def test_a_move_names_the_document_that_caused_it(acme_api, in_acme):
    item, location = ItemFactory(), LocationFactory()
    move = stock_receive(item=item, location=location, quantity=1, user=None, source=location)
    body = acme_api.get(f"/api/v1/moves/{move.pk}/").json()
    assert body["source"] == {"type": "inventory.location", "id": location.pk}
