"""Lots through the API and the pages: receipts that name lots, 400s with field messages, the trace, the recall
CSV, and another tenant's lots out of reach."""

import csv
import datetime
import io
from decimal import Decimal

import pytest
from django_tenants.utils import tenant_context

from inventory.models import Item, Lot, StockMove
from inventory.services import stock_receive
from tests.inventory.conftest import logged_in
from tests.inventory.factories import ItemFactory, LocationFactory
from tests.production.lot_scenario import build_plant

D = Decimal


def post_move(client, **payload):
    return client.post("/api/v1/moves/", payload, content_type="application/json")


@pytest.fixture
def resin(in_acme):
    return ItemFactory(sku="RESIN", name="Resin", tracking=Item.Tracking.LOT)


@pytest.fixture
def plant(in_acme):
    return build_plant()


def test_a_receipt_names_its_lot(acme_api, resin, a1):
    response = post_move(
        acme_api, item=resin.pk, quantity="5", reason="receipt", to_location=a1.pk,
        lots=[{"code": "R-1", "supplier_lot": "S-9", "expiry_date": "2027-01-31"}],
    )  # fmt: skip
    assert response.status_code == 201, response.content
    lot = Lot.objects.get(item=resin)
    assert (lot.code, lot.supplier_lot, str(lot.expiry_date)) == ("R-1", "S-9", "2027-01-31")


def test_a_receipt_of_a_lot_item_without_a_lot_is_a_400_on_lots(acme_api, resin, a1):
    response = post_move(acme_api, item=resin.pk, quantity="5", reason="receipt", to_location=a1.pk)
    assert response.status_code == 400
    assert "tracked by lot" in str(response.json()["lots"])
    assert not StockMove.objects.exists()


def test_a_serial_count_that_differs_from_the_quantity_is_a_400_on_lots(acme_api, a1, in_acme):
    board = ItemFactory(sku="BOARD", tracking=Item.Tracking.SERIAL)
    response = post_move(
        acme_api, item=board.pk, quantity="3", reason="receipt", to_location=a1.pk, lots=[{"code": "SN-1"}]
    )
    assert response.status_code == 400
    assert "need 3 serial number(s); 1 given" in str(response.json()["lots"])


def test_a_malformed_lot_is_a_400_not_a_500(acme_api, resin, a1):
    response = post_move(
        acme_api, item=resin.pk, quantity="5", reason="receipt", to_location=a1.pk, lots=[{"expiry_date": "soon"}]
    )
    assert response.status_code == 400
    assert "lots" in response.json()


def test_an_issue_picks_the_lot_named(acme_api, resin, a1, clerk):
    for code in ("A", "B"):
        stock_receive(item=resin, location=a1, quantity=5, user=clerk, lots=[code])
    response = post_move(
        acme_api, item=resin.pk, quantity="2", reason="issue", from_location=a1.pk, lots=[{"code": "B"}]
    )
    assert response.status_code == 201, response.content
    rows = acme_api.get("/api/v1/lots/", {"item": resin.pk}).json()["results"]
    on_hand = {row["code"]: row["on_hand"] for row in rows}
    assert on_hand == {"A": "5.0000", "B": "3.0000"}


def test_the_api_traces_forward_to_the_customer(acme_api, plant):
    body = acme_api.get(f"/api/v1/lots/{plant.resin_a.pk}/trace/", {"direction": "forward"}).json()
    assert [(lot["code"], lot["depth"]) for lot in body["lots"]][:2] == [("R-A", 0), (plant.panel_lot.code, 1)]
    [move] = body["moves"]
    assert (move["lot_code"], move["quantity"], move["document"]["partner"]) == (
        plant.kit_2.code, "1.0000", "C-ONE Customer One"
    )  # fmt: skip


def test_the_api_traces_backward_to_the_supplier(acme_api, plant):
    body = acme_api.get(f"/api/v1/lots/{plant.kit_2.pk}/trace/", {"direction": "backward"}).json()
    assert sorted((move["lot_code"], move["quantity"]) for move in body["moves"]) == [
        ("F-1", "6.0000"), ("R-A", "6.0000"), ("R-B", "4.0000")
    ]  # fmt: skip
    assert {move["document"]["order_number"] for move in body["moves"]} == {plant.purchase.number}


def test_an_unknown_trace_direction_is_a_400(acme_api, plant):
    response = acme_api.get(f"/api/v1/lots/{plant.kit_2.pk}/trace/", {"direction": "sideways"})
    assert response.status_code == 400
    assert "direction" in response.json()


def test_the_lot_page_shows_the_trace_and_links_the_recall_csv(acme_api, plant):
    response = acme_api.get(f"/inventory/lots/{plant.kit_2.pk}/", {"direction": "backward"})
    assert response.status_code == 200
    page = response.content.decode()
    assert "S-ONE Supplier One" in page and "SUP-A" in page and plant.purchase.number in page
    assert f"/inventory/lots/{plant.kit_2.pk}/recall.csv?direction=backward" in page


def test_the_recall_csv_lists_who_got_the_lot(acme_api, plant):
    response = acme_api.get(f"/inventory/lots/{plant.resin_a.pk}/recall.csv", {"direction": "forward"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    shipped = [row for row in rows if row["partner"]]
    assert [(row["item_sku"], row["lot"], row["order"], row["partner"], row["quantity"]) for row in shipped] == [
        ("KIT", plant.kit_2.code, plant.sale.number, "C-ONE Customer One", "1")
    ]
    assert {row["lot"] for row in rows} == {"R-A", plant.panel_lot.code, plant.kit_1.code, plant.kit_2.code}


def test_the_lot_list_page_finds_a_lot_by_supplier_lot(acme_api, plant):
    page = acme_api.get("/inventory/lots/", {"q": "SUP-A"}).content.decode()
    assert f"/inventory/lots/{plant.resin_a.pk}/" in page
    assert f"/inventory/lots/{plant.resin_b.pk}/" not in page


@pytest.fixture
def globex_lot(acme, globex):
    """A globex lot whose id names no acme lot, and whose code acme does not use."""
    with tenant_context(acme):
        acme_ids = set(Lot.objects.values_list("pk", flat=True))
    with tenant_context(globex):
        item = ItemFactory(sku="GX-RESIN", tracking=Item.Tracking.LOT)
        location = LocationFactory(code="GX-1")
        lot = None
        for number in range(len(acme_ids) + 1):
            stock_receive(item=item, location=location, quantity=1, user=None, lots=[f"GX-SECRET-{number}"])
            lot = Lot.objects.get(code=f"GX-SECRET-{number}")
            if lot.pk not in acme_ids:
                break
    return lot


def test_another_tenants_lot_is_out_of_reach_of_the_api(acme, acme_client, plant, globex_lot):
    api = logged_in(acme_client, acme)
    assert api.get(f"/api/v1/lots/{globex_lot.pk}/").status_code == 404
    assert api.get(f"/api/v1/lots/{globex_lot.pk}/trace/").status_code == 404
    assert api.get("/api/v1/lots/", {"code": globex_lot.code}).json()["count"] == 0
    assert api.get("/api/v1/lots/", {"search": "GX-SECRET"}).json()["count"] == 0


def test_another_tenants_lot_is_out_of_reach_of_the_pages(acme, acme_client, plant, globex_lot):
    client = logged_in(acme_client, acme)
    assert client.get(f"/inventory/lots/{globex_lot.pk}/").status_code == 404
    assert client.get(f"/inventory/lots/{globex_lot.pk}/recall.csv").status_code == 404
    page = client.get("/inventory/lots/", {"q": "GX-SECRET"}).content.decode()
    assert f"/inventory/lots/{globex_lot.pk}/" not in page
    assert "No lots match" in page


def test_the_admin_lists_lots_and_links_their_trace(acme_api, plant):
    page = acme_api.get("/admin/inventory/lot/", {"q": "R-A"}).content.decode()
    assert f"/inventory/lots/{plant.resin_a.pk}/?direction=backward" in page
    detail = acme_api.get(f"/admin/inventory/lot/{plant.resin_b.pk}/change/")
    assert detail.status_code == 200 and b'name="code"' not in detail.content
    assert acme_api.get("/admin/inventory/lot/add/").status_code == 403
    assert acme_api.get("/admin/inventory/lotgenealogy/").status_code == 200


def test_another_tenants_lot_is_out_of_reach_of_the_admin(acme, acme_client, plant, globex_lot):
    client = logged_in(acme_client, acme)
    assert client.get(f"/admin/inventory/lot/{globex_lot.pk}/change/").status_code in {302, 404}
    assert "GX-SECRET" not in client.get("/admin/inventory/lot/").content.decode()


def test_the_receive_page_takes_lots_one_a_line(acme_api, resin, a1):
    response = acme_api.post(
        "/inventory/stock/receive/",
        {"item": "RESIN", "location": a1.pk, "quantity": "5", "lots": "W-1, 3, 2027-01-31, SUP-1\nW-2, 2"},
    )
    assert response.status_code == 302
    lots = {lot.code: (lot.expiry_date, lot.supplier_lot) for lot in Lot.objects.filter(item=resin)}
    assert lots == {"W-1": (datetime.date(2027, 1, 31), "SUP-1"), "W-2": (None, "")}


def test_the_receive_page_puts_a_missing_lot_by_its_field_and_keeps_the_input(acme_api, resin, a1):
    response = acme_api.post(
        "/inventory/stock/receive/", {"item": "RESIN", "location": a1.pk, "quantity": "5", "reference": "DN-7"}
    )
    assert response.status_code == 400
    form = response.context["form"]
    assert "tracked by lot" in " ".join(form.errors["lots"])
    assert 'value="DN-7"' in response.content.decode()
    assert not StockMove.objects.exists()


def test_a_tracked_items_page_links_its_lots(acme_api, resin):
    page = acme_api.get(f"/inventory/items/{resin.pk}/").content.decode()
    assert "By lot" in page and "/inventory/lots/?q=RESIN" in page
