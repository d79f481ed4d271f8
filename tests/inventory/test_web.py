"""The server-rendered inventory pages."""

from decimal import Decimal

import pytest

from inventory.models import StockLevel, StockMove
from inventory.services import stock_issue, stock_receive
from tests.inventory.factories import ItemFactory, LocationFactory

D = Decimal


@pytest.fixture
def web(acme_api):
    return acme_api


def test_pages_need_a_signed_in_user(acme_client, in_acme):
    response = acme_client.get("/inventory/")
    assert response.status_code == 302
    assert "login" in response["Location"]


def test_item_list_searches_by_sku_or_name(web, in_acme):
    ItemFactory(sku="BOLT-10", name="Bolt M10")
    ItemFactory(sku="NUT-10", name="Hex nut")
    page = web.get("/inventory/", {"q": "hex"}).content.decode()
    assert "NUT-10" in page
    assert "BOLT-10" not in page


def test_item_list_pages_by_25(web, in_acme):
    for n in range(30):
        ItemFactory(sku=f"P-{n:03d}")
    first, second = web.get("/inventory/").content.decode(), web.get("/inventory/", {"page": 2}).content.decode()
    assert "P-000" in first and "P-024" in first and "P-025" not in first
    assert "P-025" in second and "Page 2 of 2" in second


def test_item_detail_shows_stock_by_location_and_the_ledger(web, in_acme):
    item, a1 = ItemFactory(sku="BOLT-10"), LocationFactory(code="A1")
    stock_receive(item=item, location=a1, quantity=12, user=None, reference="DN-42")
    page = web.get(f"/inventory/items/{item.pk}/").content.decode()
    assert "Stock by location" in page and ">A1<" in page and ">12<" in page
    assert "Ledger history" in page and "DN-42" in page


def test_receive_form_posts_a_receipt_and_goes_to_the_item(web, in_acme):
    item, a1 = ItemFactory(sku="BOLT-10"), LocationFactory(code="A1")
    response = web.post("/inventory/stock/receive/", {"item": "BOLT-10", "location": a1.pk, "quantity": "5"})
    assert response.status_code == 302
    assert response["Location"] == f"/inventory/items/{item.pk}/"
    assert StockLevel.objects.get(item=item, location=a1).on_hand == D(5)


def test_issue_form_shows_insufficient_stock_on_the_quantity_field_and_writes_nothing(web, in_acme):
    item, a1 = ItemFactory(sku="BOLT-10"), LocationFactory(code="A1")
    stock_receive(item=item, location=a1, quantity=3, user=None)
    response = web.post("/inventory/stock/issue/", {"item": "BOLT-10", "location": a1.pk, "quantity": "5"})
    assert response.status_code == 400
    assert response.context["form"].errors["quantity"] == [
        "insufficient stock: item BOLT-10 at A1 has 3 available, 5 asked"
    ]
    assert "insufficient stock: item BOLT-10 at A1 has 3 available, 5 asked" in response.content.decode()
    assert StockMove.objects.count() == 1


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"item": "NOPE", "quantity": "1"}, "item", "no item has SKU 'NOPE'"),
        ({"item": "BOLT-10", "quantity": "0"}, "quantity", "must be greater than zero"),
        ({"item": "BOLT-10", "quantity": "x"}, "quantity", "Enter a number."),
        ({"item": "BOLT-10", "quantity": "1", "location": "999999"}, "location", "Select a valid choice."),
    ],
)
def test_receive_form_shows_each_bad_input_on_its_field(web, in_acme, data, field, message):
    ItemFactory(sku="BOLT-10")
    data.setdefault("location", LocationFactory().pk)
    response = web.post("/inventory/stock/receive/", data)
    assert response.status_code == 400
    assert any(message in error for error in response.context["form"].errors[field])
    assert not StockMove.objects.exists()


def test_transfer_form_refuses_the_same_location(web, in_acme):
    item, a1 = ItemFactory(sku="BOLT-10"), LocationFactory(code="A1")
    stock_receive(item=item, location=a1, quantity=3, user=None)
    response = web.post(
        "/inventory/stock/transfer/",
        {"item": "BOLT-10", "from_location": a1.pk, "to_location": a1.pk, "quantity": "1"},
    )
    assert "same location" in response.context["form"].errors["to_location"][0]


def test_adjust_form_sets_on_hand_to_the_count(web, in_acme):
    item, a1 = ItemFactory(sku="BOLT-10"), LocationFactory(code="A1")
    stock_receive(item=item, location=a1, quantity=3, user=None)
    web.post("/inventory/stock/adjust/", {"item": "BOLT-10", "location": a1.pk, "counted_quantity": "8"})
    assert StockLevel.objects.get(item=item, location=a1).on_hand == D(8)


def test_move_forms_prefill_the_item_from_the_query_string(web, in_acme):
    item = ItemFactory(sku="BOLT-10")
    response = web.get("/inventory/stock/issue/", {"item": item.pk})
    assert response.context["form"].initial["item"] == "BOLT-10"
    assert '<label for="id_item">Item SKU:</label>' in response.content.decode()


def test_reverse_button_posts_the_reversing_move(web, in_acme):
    item, a1 = ItemFactory(), LocationFactory()
    move = stock_receive(item=item, location=a1, quantity=3, user=None)
    response = web.post(f"/inventory/moves/{move.pk}/reverse/", {"confirm": "on"})
    assert response.status_code == 302
    assert StockLevel.objects.get(item=item, location=a1).on_hand == D(0)


def test_locations_page_lists_bins_under_their_warehouse(web, in_acme):
    hall = LocationFactory(code="HALL", kind="warehouse")
    LocationFactory(code="HALL-S1", parent=hall)
    page = web.get("/inventory/locations/").content.decode()
    assert page.index("HALL") < page.index("HALL-S1")
    assert "RECEIVING" in page and "(default receiving)" in page


def test_reorder_page_lists_items_below_their_reorder_point(web, in_acme):
    ItemFactory(sku="LOW-1", reorder_point=5, reorder_quantity=20)
    page = web.get("/inventory/reorder/").content.decode()
    assert "LOW-1" in page


def test_a_reversed_move_offers_no_second_reversal(web, in_acme):
    item, a1 = ItemFactory(), LocationFactory()
    move = stock_receive(item=item, location=a1, quantity=3, user=None)
    web.post(f"/inventory/moves/{move.pk}/reverse/", {"confirm": "on"})
    page = web.get(f"/inventory/items/{item.pk}/").content.decode()
    assert f"/inventory/moves/{move.pk}/reverse/" not in page
    assert "reversed" in page


def test_a_refused_reversal_is_shown_as_a_message(web, in_acme):
    item, a1 = ItemFactory(sku="BOLT-10"), LocationFactory(code="A1")
    receipt = stock_receive(item=item, location=a1, quantity=3, user=None)
    stock_issue(item=item, location=a1, quantity=2, user=None)
    page = web.post(f"/inventory/moves/{receipt.pk}/reverse/", {"confirm": "on"}).content.decode()
    assert "insufficient stock: item BOLT-10 at A1 has 1 available, 3 asked" in page


def test_locations_page_in_pages_of_25(web, in_acme):
    for n in range(30):
        LocationFactory(code=f"ZONE-{n:02d}")
    first = web.get("/inventory/locations/").content.decode()
    assert "ZONE-00" in first and "ZONE-29" not in first
    assert 'href="?page=2"' in first and "31 locations" in first  # RECEIVING is there too
    second = web.get("/inventory/locations/", {"page": "2"}).content.decode()
    assert "ZONE-29" in second and "ZONE-00" not in second
    assert web.get("/inventory/locations/", {"page": "99"}).status_code == 200  # out of range: the last page
