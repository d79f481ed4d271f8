"""Genealogy written by work orders, and the forward and backward trace over three levels (tests/production/
lot_scenario.py has the plant and its numbers)."""

import csv
import io
from decimal import Decimal

import pytest

from inventory.models import LotGenealogy, LotLevel, StockMoveLot
from inventory.traceability import Direction, Trace, TracedLot, lot_trace, recall_csv
from tests.production.lot_scenario import build_plant

D = Decimal


@pytest.fixture
def plant(in_acme):
    return build_plant()


def test_work_orders_record_which_lots_went_into_which(plant):
    edges = {
        (row.consumed_lot.code, row.produced_lot.code): row.quantity
        for row in LotGenealogy.objects.select_related("consumed_lot", "produced_lot")
    }
    panel, kit_1, kit_2 = plant.panel_lot.code, plant.kit_1.code, plant.kit_2.code
    assert edges == {
        ("R-A", panel): D(6),  # FEFO: R-A expires first, all 6 of it...
        ("R-B", panel): D(2),  # ...then 2 of R-B make the 8 resin that 4 panels need
        ("F-1", panel): D(4),
        (panel, kit_1): D(2),  # 4 panels for 2 kits: 2 each
        (panel, kit_2): D(2),
    }
    assert set(LotGenealogy.objects.values_list("source_id", flat=True)) == {plant.panel_order.pk, plant.kit_order.pk}


def test_consumption_took_lots_first_expiry_first_out(plant):
    left = {level.lot.code: level.on_hand for level in LotLevel.objects.select_related("lot")}
    assert left["R-A"] == 0 and left["R-B"] == D(2) and left["F-1"] == D(2)
    assert left[plant.panel_lot.code] == 0
    assert (left[plant.kit_1.code], left[plant.kit_2.code]) == (D(1), D(0))  # kit 2 was shipped


def test_forward_trace_reaches_the_customer_through_two_levels(plant):
    trace = lot_trace(lot_id=plant.resin_a.pk, direction="forward")
    depths = {lot.code: lot.depth for lot in trace.lots}
    assert depths == {"R-A": 0, plant.panel_lot.code: 1, plant.kit_1.code: 2, plant.kit_2.code: 2}
    assert trace.root.code == "R-A"
    assert trace.lot(plant.kit_2.pk).via == [plant.panel_lot.pk]
    [shipped] = trace.moves
    assert (shipped.lot_id, shipped.quantity, shipped.reason) == (plant.kit_2.pk, D(1), "shipment")
    assert shipped.document.label == str(plant.shipment)
    assert (shipped.document.order_number, shipped.document.partner) == (plant.sale.number, "C-ONE Customer One")


def test_backward_trace_reaches_the_supplier_through_two_levels(plant):
    trace = lot_trace(lot_id=plant.kit_2.pk, direction="backward")
    depths = {lot.code: lot.depth for lot in trace.lots}
    assert depths == {plant.kit_2.code: 0, plant.panel_lot.code: 1, "R-A": 2, "R-B": 2, "F-1": 2}
    received = {(trace.lot(move.lot_id).code, move.quantity) for move in trace.moves}
    assert received == {("R-A", D(6)), ("R-B", D(4)), ("F-1", D(6))}
    assert {move.document.partner for move in trace.moves} == {"S-ONE Supplier One"}
    assert {move.document.order_number for move in trace.moves} == {plant.purchase.number}
    assert trace.lot(plant.resin_a.pk).supplier_lot == "SUP-A"


def test_a_trace_of_an_unknown_lot_is_none(plant):
    assert lot_trace(lot_id=999999, direction="forward") is None


def test_a_trace_is_two_queries_whatever_its_depth(plant, django_assert_num_queries):
    lot_trace(lot_id=plant.kit_2.pk, direction="backward")  # warms the content type cache
    with django_assert_num_queries(2):  # the recursive query, then the receipts with their orders and supplier
        lot_trace(lot_id=plant.kit_2.pk, direction="backward")
    with django_assert_num_queries(2):
        lot_trace(lot_id=plant.resin_a.pk, direction="forward")


def test_recall_csv_lists_each_shipment_then_each_lot_without_one(plant):
    rows = list(csv.DictReader(io.StringIO(recall_csv(lot_trace(lot_id=plant.resin_b.pk, direction="forward")))))
    assert [(row["depth"], row["item_sku"], row["lot"], row["partner"], row["quantity"]) for row in rows] == [
        ("2", "KIT", plant.kit_2.code, "C-ONE Customer One", "1"),
        ("0", "RESIN", "R-B", "", ""),
        ("1", "PANEL", plant.panel_lot.code, "", ""),
        ("2", "KIT", plant.kit_1.code, "", ""),
    ]
    assert rows[0]["order"] == plant.sale.number and rows[0]["serial"] == "yes"
    assert rows[1]["expiry_date"] == "2027-05-01"


def test_the_shipment_records_the_serial_it_shipped(plant):
    move = plant.shipment.lines.get().move
    assert list(StockMoveLot.objects.filter(move=move).values_list("lot__code", "quantity")) == [
        (plant.kit_2.code, D(1))
    ]


def test_recall_csv_keeps_a_formula_like_lot_number_as_text():
    lot = TracedLot(1, "=HYPERLINK(1)", 1, "X", "X", False, "@SUP", None, 0)
    rows = list(csv.reader(io.StringIO(recall_csv(Trace(Direction.FORWARD, [lot], [])))))
    assert (rows[1][4], rows[1][6]) == ("'=HYPERLINK(1)", "'@SUP")
