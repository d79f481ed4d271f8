"""Order lines in any unit the item converts to: bought in boxes, sold in metres; the ledger stays in stock units."""

from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django_tenants.utils import tenant_context

from inventory.models import StockMove, UnitOfMeasure
from inventory.selectors import ledger_balance
from inventory.services import InventoryError, conversion_create, item_update, stock_receive, unit_create
from orders import selectors, services
from orders.models import PurchaseOrder, PurchaseOrderLine, SalesOrder
from orders.services import InvalidOrderLine
from tests.orders.factories import ItemFactory
from tests.orders.support import level, snapshot

D = Decimal


@pytest.fixture
def box(in_acme):
    return unit_create(code="box", name="Box of some", decimals=2, user=None)


@pytest.fixture
def boxed_bolt(bolt, box):
    """BOLT-10 is stocked in pieces and bought in boxes of 12."""
    conversion_create(item=bolt, uom=box, factor=12, user=None)
    return bolt


@pytest.fixture
def metre(in_acme):
    return UnitOfMeasure.objects.get(code="m")


@pytest.fixture
def cable(in_acme, metre):
    """CABLE is stocked in rolls of 50 m and sold in metres."""
    roll = unit_create(code="roll", name="Roll", decimals=2, user=None)
    item = ItemFactory(sku="CABLE", name="Cable", uom=roll)
    conversion_create(item=item, uom=metre, factor="0.02", user=None)
    return item


def test_a_purchase_line_in_boxes_keeps_its_unit_and_orders_the_pieces(supplier, boxed_bolt, box, clerk, next_week):
    order = services.purchase_order_create(
        supplier=supplier,
        user=clerk,
        lines=[{"item": boxed_bolt, "quantity": 12, "uom": box, "unit_cost": "3.00", "expected_date": next_week}],
    )
    line = order.lines.get()
    assert (line.quantity, line.uom, line.uom_quantity, line.line_quantity) == (D(144), box, D(12), D(12))


def test_receiving_a_purchase_in_boxes_posts_pieces_to_the_ledger(supplier, boxed_bolt, box, store, clerk, next_week):
    order = services.purchase_order_create(
        supplier=supplier,
        user=clerk,
        lines=[{"item": boxed_bolt, "quantity": 2, "uom": box, "unit_cost": "3.00", "expected_date": next_week}],
    )
    services.purchase_order_send(order=order, user=clerk)
    line = order.lines.get()
    services.receipt_create(order=order, user=clerk, location=store, lines=[{"line": line, "quantity": 24}])
    move = StockMove.objects.get()
    assert (move.item, move.quantity, move.to_location) == (boxed_bolt, D(24), store)
    assert ledger_balance(item=boxed_bolt) == D(24)
    order.refresh_from_db()
    assert order.status == PurchaseOrder.Status.RECEIVED


def test_half_a_box_of_twelve_is_six_pieces(supplier, boxed_bolt, box, clerk, next_week):
    order = services.purchase_order_create(
        supplier=supplier,
        user=clerk,
        lines=[{"item": boxed_bolt, "quantity": "0.5", "uom": box, "unit_cost": "3", "expected_date": next_week}],
    )
    assert order.lines.get().quantity == D(6)


def test_a_line_whose_conversion_yields_a_fraction_of_a_piece_is_refused(supplier, boxed_bolt, box, next_week):
    before = snapshot()
    with pytest.raises(InvalidOrderLine, match=r"line 1: item BOLT-10: 0.01 box is 0.12 pcs") as refused:
        services.purchase_order_create(
            supplier=supplier,
            user=None,
            lines=[{"item": boxed_bolt, "quantity": "0.01", "uom": box, "unit_cost": "3", "expected_date": next_week}],
        )
    assert refused.value.field == "lines"
    assert snapshot() == before and not PurchaseOrderLine.objects.exists()


def test_half_a_piece_on_a_line_is_refused(supplier, bolt, next_week):
    with pytest.raises(InvalidOrderLine, match=r"line 1: item BOLT-10: quantity 0\.5 is not a whole number of pcs"):
        services.purchase_order_create(
            supplier=supplier,
            user=None,
            lines=[{"item": bolt, "quantity": "0.5", "unit_cost": "3", "expected_date": next_week}],
        )
    assert not PurchaseOrder.objects.exists()


def test_a_line_in_a_unit_the_item_does_not_convert_to_is_refused(supplier, bolt, box, next_week):
    with pytest.raises(InvalidOrderLine, match="line 1: item BOLT-10 is not counted in box"):
        services.purchase_order_create(
            supplier=supplier,
            user=None,
            lines=[{"item": bolt, "quantity": 1, "uom": box, "unit_cost": "3", "expected_date": next_week}],
        )


def test_a_line_in_the_stock_unit_named_explicitly_is_a_plain_line(supplier, bolt, next_week):
    order = services.purchase_order_create(
        supplier=supplier,
        user=None,
        lines=[{"item": bolt, "quantity": 3, "uom": bolt.uom, "unit_cost": "3", "expected_date": next_week}],
    )
    line = order.lines.get()
    assert (line.quantity, line.uom, line.uom_quantity) == (D(3), None, None)


def test_a_sale_in_metres_reserves_and_ships_rolls(customer, cable, metre, store, clerk, next_week):
    stock_receive(item=cable, location=store, quantity=2, user=None)
    order = services.sales_order_create(
        customer=customer,
        location=store,
        user=clerk,
        lines=[{"item": cable, "quantity": 75, "uom": metre, "unit_price": "1.20", "promised_date": next_week}],
    )
    line = order.lines.get()
    assert (line.quantity, line.uom_quantity) == (D("1.5"), D(75))
    services.sales_order_confirm(order=order, user=clerk)
    assert level(cable, store) == (D(2), D("1.5"))
    services.shipment_create(order=order, user=clerk, lines=[{"line": line, "quantity": "1.5"}])
    assert level(cable, store) == (D("0.5"), D(0))
    assert StockMove.objects.filter(reason=StockMove.Reason.SHIPMENT).get().quantity == D("1.5")
    order.refresh_from_db()
    assert order.status == SalesOrder.Status.SHIPPED


def test_a_confirmed_order_reserves_only_whole_pieces_of_stock_counted_finer(customer, bolt, store, clerk, next_week):
    bolt.uom.decimals = 4
    bolt.uom.save()
    stock_receive(item=bolt, location=store, quantity="2.5", user=None)  # counted before pieces were whole
    UnitOfMeasure.objects.filter(code="pcs").update(decimals=0)
    order = services.sales_order_create(
        customer=customer,
        location=store,
        user=clerk,
        lines=[{"item": bolt, "quantity": 5, "unit_price": "1", "promised_date": next_week}],
    )
    services.sales_order_confirm(order=order, user=clerk)
    assert order.lines.get().reserved_quantity == D(2)


def test_shipping_a_fraction_of_a_piece_is_refused_on_its_line(customer, bolt, store, clerk, next_week):
    stock_receive(item=bolt, location=store, quantity=5, user=None)
    order = services.sales_order_create(
        customer=customer,
        location=store,
        user=clerk,
        lines=[{"item": bolt, "quantity": 5, "unit_price": "1", "promised_date": next_week}],
    )
    services.sales_order_confirm(order=order, user=clerk)
    line = order.lines.get()
    before = snapshot()
    with pytest.raises(InvalidOrderLine, match=r"line 1: quantity 1\.5 is not a whole number of pcs") as refused:
        services.shipment_create(order=order, user=clerk, lines=[{"line": line, "quantity": "1.5"}])
    assert refused.value.line_id == line.pk
    assert snapshot() == before


def test_open_value_counts_a_line_price_per_its_own_unit(supplier, boxed_bolt, box, clerk, next_week):
    order = services.purchase_order_create(
        supplier=supplier,
        user=clerk,
        lines=[{"item": boxed_bolt, "quantity": 2, "uom": box, "unit_cost": "6.00", "expected_date": next_week}],
    )
    services.purchase_order_send(order=order, user=clerk)
    assert selectors.dashboard().open_purchase_value == D("12.00")  # 2 boxes at 6, not 24 pcs at 6


# --- API ----------------------------------------------------------------------------------------------------------
@pytest.fixture
def api(acme, acme_client):
    with tenant_context(acme):
        acme_client.force_login(get_user_model().objects.get(username="boss"))
    return acme_client


def _purchase(api, supplier, item, next_week, **line):
    body = {
        "supplier": supplier.pk,
        "lines": [{"item": item.pk, "unit_cost": "3.00", "expected_date": next_week.isoformat(), **line}],
    }
    return api.post("/api/v1/purchase-orders/", body, content_type="application/json")


def test_the_api_takes_a_line_in_boxes_and_answers_both_quantities(api, supplier, boxed_bolt, box, next_week):
    response = _purchase(api, supplier, boxed_bolt, next_week, quantity="12", uom=box.pk)
    assert response.status_code == 201, response.json()
    line = response.json()["lines"][0]
    assert (line["quantity"], line["uom"], line["stock_quantity"], line["open_quantity"]) == (
        "12.0000",
        box.pk,
        "144.0000",
        "144.0000",
    )


def test_half_a_piece_on_an_api_line_is_a_400_on_lines(api, supplier, bolt, next_week):
    response = _purchase(api, supplier, bolt, next_week, quantity="0.5")
    assert response.status_code == 400
    assert "not a whole number of pcs" in response.json()["lines"][0]
    assert not PurchaseOrder.objects.exists()


def test_another_tenants_unit_id_on_an_order_line_is_refused(acme, globex, api, supplier, bolt, next_week):
    with tenant_context(globex):
        foreign = UnitOfMeasure.objects.create(code="crate", name="Crate", decimals=0)
    with tenant_context(acme):
        if UnitOfMeasure.objects.filter(pk=foreign.pk).exists():
            pytest.skip("the ids coincide in the two schemas")
    response = _purchase(api, supplier, bolt, next_week, quantity="1", uom=foreign.pk)
    assert response.status_code == 400
    assert "uom" in str(response.json()["lines"])
    with tenant_context(acme):
        assert not PurchaseOrder.objects.exists()


def test_the_order_page_shows_a_line_in_its_unit_and_in_stock_units(api, supplier, boxed_bolt, box, next_week):
    order = services.purchase_order_create(
        supplier=supplier,
        user=None,
        lines=[{"item": boxed_bolt, "quantity": 2, "uom": box, "unit_cost": "6.00", "expected_date": next_week}],
    )
    page = api.get(f"/orders/purchases/{order.pk}/").content.decode()
    assert "2 box = 24 pcs" in page


def test_the_receive_form_takes_pieces_for_a_line_ordered_in_boxes(
    api, supplier, boxed_bolt, box, receiving, next_week
):
    order = services.purchase_order_create(
        supplier=supplier,
        user=None,
        lines=[{"item": boxed_bolt, "quantity": 2, "uom": box, "unit_cost": "6.00", "expected_date": next_week}],
    )
    services.purchase_order_send(order=order, user=None)
    line = order.lines.get()
    assert ">24 pcs</td>" in api.get(f"/orders/purchases/{order.pk}/").content.decode()  # open, in stock units
    response = api.post(f"/orders/purchases/{order.pk}/", {f"line_{line.pk}": "24", "location": receiving.pk})
    assert response.status_code == 302
    assert StockMove.objects.get().quantity == D(24)


def test_half_a_piece_on_the_receive_form_is_an_error_next_to_its_line(api, supplier, bolt, receiving, next_week):
    order = services.purchase_order_create(
        supplier=supplier,
        user=None,
        lines=[{"item": bolt, "quantity": 5, "unit_cost": "1", "expected_date": next_week}],
    )
    services.purchase_order_send(order=order, user=None)
    line = order.lines.get()
    response = api.post(f"/orders/purchases/{order.pk}/", {f"line_{line.pk}": "0.5", "location": receiving.pk})
    assert response.status_code == 400
    assert "not a whole number of pcs" in response.context["form"].errors[f"line_{line.pk}"][0]
    assert not StockMove.objects.exists()


def test_the_stock_unit_of_an_item_on_an_order_line_cannot_change(supplier, bolt, next_week):
    services.purchase_order_create(
        supplier=supplier,
        user=None,
        lines=[{"item": bolt, "quantity": 3, "unit_cost": "1", "expected_date": next_week}],
    )
    with pytest.raises(InventoryError, match="BOLT-10 already has purchase order lines counted in pcs") as refused:
        item_update(item=bolt, uom=UnitOfMeasure.objects.get(code="kg"), user=None)
    assert refused.value.field == "uom"


def test_a_receipt_in_boxes_values_each_piece_at_the_box_price_over_its_pieces(
    supplier, boxed_bolt, box, store, clerk, next_week
):
    from inventory.models import ItemValuation

    order = services.purchase_order_send(
        order=services.purchase_order_create(
            supplier=supplier,
            user=clerk,
            lines=[{"item": boxed_bolt, "quantity": 2, "uom": box, "unit_cost": "6.00", "expected_date": next_week}],
        ),
        user=clerk,
    )
    services.receipt_create(
        order=order, user=clerk, location=store, lines=[{"line": order.lines.get(), "quantity": 24}]
    )
    # 2 boxes of 12 at 6.00 a box: 24 pieces at 6.00 / 12 = 0.50, worth 12.00
    row = ItemValuation.objects.get(item=boxed_bolt)
    assert (row.quantity, row.average_cost, row.value) == (D(24), D("0.50"), D("12.00"))
