"""Costing: the BOM cost roll-up (scrap, labour, overhead per unit or per batch, every level) and the work order's
actual cost and variance. Every expected number is worked out by hand in the test."""

import datetime
from decimal import Decimal

import pytest

from audit.models import AuditEntry
from inventory.models import Item, ItemValuation
from inventory.services import stock_receive
from production.models import CostRollup, ProductionEvent
from production.services import (
    InvalidBom,
    bom_create,
    bom_update,
    cost_rollup_run,
    work_order_complete,
    work_order_create,
    work_order_release,
    work_order_start,
)

D = Decimal


def metres():
    """A unit counted in decimals (pieces are whole): for the components used in fractions."""
    from inventory.models import UnitOfMeasure

    return UnitOfMeasure.objects.get(code="m")


DUE = datetime.date(2027, 1, 31)


def cost(item) -> Decimal:
    return Item.objects.get(pk=item.pk).standard_cost


@pytest.fixture
def cart_tree(item, planner):
    """Three levels: CART = FRAME + 2 BRACKET; FRAME = 2 BRACKET (5% scrap) + 0.25 PAINT; BRACKET = 3 STEEL (10%
    scrap) + 4 BOLT. Purchased: STEEL 2.00, BOLT 0.10, PAINT 5.00. Labour and overhead: BRACKET 1.50 per unit,
    FRAME 20.00 + 20.00 per batch of 10, CART 0.50 overhead per unit."""
    steel = item("STEEL", standard_cost=D("2.00"))
    bolt = item("BOLT", standard_cost=D("0.10"))
    paint = item("PAINT", standard_cost=D("5.00"), uom=metres())
    bracket, frame, cart = item("BRACKET", standard_cost=D(0)), item("FRAME", standard_cost=D(0)), item("CART")
    bom_create(
        item=bracket,
        lines=[{"component": steel, "quantity": D(3), "scrap_percent": D(10)}, {"component": bolt, "quantity": D(4)}],
        labour_cost=D("1.50"),
        user=planner,
    )
    bom_create(
        item=frame,
        lines=[
            {"component": bracket, "quantity": D(2), "scrap_percent": D(5)},
            {"component": paint, "quantity": D("0.25")},
        ],
        labour_cost=D("20.00"),
        overhead_cost=D("20.00"),
        cost_basis="per_batch",
        batch_size=D(10),
        user=planner,
    )
    bom_create(
        item=cart,
        lines=[{"component": frame, "quantity": D(1)}, {"component": bracket, "quantity": D(2)}],
        overhead_cost=D("0.50"),
        user=planner,
    )
    return {"steel": steel, "bolt": bolt, "paint": paint, "bracket": bracket, "frame": frame, "cart": cart}


def test_rollup_costs_every_level_with_scrap_labour_and_overhead(cart_tree, planner):
    cost_rollup_run(user=planner)
    # BRACKET: 3 x 1.10 x 2.00 + 4 x 0.10 = 6.60 + 0.40 = 7.00 material, + 1.50 labour = 8.50
    assert cost(cart_tree["bracket"]) == D("8.50")
    # FRAME: 2 x 1.05 x 8.50 + 0.25 x 5.00 = 17.85 + 1.25 = 19.10 material, + 20.00 labour and 20.00 overhead
    #        per batch of 10 = 2.00 + 2.00 per unit: 23.10
    assert cost(cart_tree["frame"]) == D("23.10")
    # CART: 1 x 23.10 + 2 x 8.50 = 40.10 material, + 0.50 overhead = 40.60
    assert cost(cart_tree["cart"]) == D("40.60")


def test_rollup_records_levels_breakdown_and_what_changed(cart_tree, planner):
    rollup = cost_rollup_run(user=planner)
    lines = {
        line.item.sku: (line.level, line.old_cost, line.material_cost, line.labour_cost, line.overhead_cost, new)
        for line in rollup.lines.select_related("item")
        for new in [line.new_cost]
    }
    assert lines == {
        "BRACKET": (1, D("0"), D("7.00"), D("1.50"), D("0"), D("8.50")),
        "FRAME": (2, D("0"), D("19.10"), D("2.00"), D("2.00"), D("23.10")),
        "CART": (3, D("1.25"), D("40.10"), D("0"), D("0.50"), D("40.60")),  # CART started at the factory's 1.25
    }
    assert (rollup.item_count, rollup.changed_count) == (3, 3)
    assert AuditEntry.objects.filter(action="production.cost_rollup", object_id=str(rollup.pk)).exists()
    assert AuditEntry.objects.filter(action="inventory.item_standard_cost").count() == 3
    assert ProductionEvent.objects.filter(action="cost_rollup").count() == 1


def test_a_second_rollup_changes_only_what_a_component_price_moved(cart_tree, planner):
    cost_rollup_run(user=planner)
    Item.objects.filter(pk=cart_tree["paint"].pk).update(standard_cost=D("9.00"))
    rollup = cost_rollup_run(user=planner)
    # PAINT 5.00 -> 9.00 adds 0.25 x 4.00 = 1.00 to FRAME (23.10 -> 24.10) and so to CART (40.60 -> 41.60);
    # BRACKET does not use paint: unchanged.
    changed = {line.item.sku: (line.old_cost, line.new_cost) for line in rollup.lines.all() if line.changed}
    assert changed == {"FRAME": (D("23.10"), D("24.10")), "CART": (D("40.60"), D("41.60"))}
    assert rollup.changed_count == 2


def test_rollup_of_one_item_costs_only_its_tree(cart_tree, item, planner):
    other = item("OTHER", standard_cost=D(7))
    bom_create(item=other, lines=[{"component": cart_tree["steel"], "quantity": D(1)}], user=planner)
    rollup = cost_rollup_run(user=planner, item=cart_tree["frame"])
    assert sorted(line.item.sku for line in rollup.lines.all()) == ["BRACKET", "FRAME"]
    assert cost(other) == D(7)  # not in FRAME's tree: untouched


def test_per_batch_costs_are_spread_over_the_batch_size(item, planner):
    steel, widget = item("STEEL", standard_cost=D("2.00")), item("WIDGET")
    bom_create(
        item=widget, lines=[{"component": steel, "quantity": D(1)}], labour_cost=D(10), overhead_cost=D(25),
        cost_basis="per_batch", batch_size=D(8), user=planner,
    )  # fmt: skip
    cost_rollup_run(user=planner)
    # 2.00 material + 10 / 8 = 1.25 labour + 25 / 8 = 3.125 overhead = 6.375
    assert cost(widget) == D("6.375")


def test_negative_labour_cost_is_refused_on_its_field(item, planner):
    steel, widget = item("STEEL"), item("WIDGET")
    with pytest.raises(InvalidBom) as refused:
        bom_create(item=widget, lines=[{"component": steel, "quantity": D(1)}], labour_cost="-5", user=planner)
    assert refused.value.field == "labour_cost"


def test_zero_batch_size_and_an_unknown_basis_are_refused(item, make_bom, planner):
    bom = make_bom(item("WIDGET"), (item("STEEL"), 1))
    with pytest.raises(InvalidBom) as refused:
        bom_update(bom=bom, batch_size="0", user=planner)
    assert refused.value.field == "batch_size"
    with pytest.raises(InvalidBom) as refused:
        bom_update(bom=bom, cost_basis="per_hour", user=planner)
    assert refused.value.field == "cost_basis"


def test_rollup_of_an_item_without_a_bom_is_refused(item, planner):
    with pytest.raises(InvalidBom, match="STEEL has no active BOM"):
        cost_rollup_run(user=planner, item=item("STEEL"))
    assert not CostRollup.objects.exists()


def test_rollup_reads_every_level_in_one_query(cart_tree, planner, django_assert_max_num_queries):
    # The tree is one query whatever its depth; the rest is the run and its lines, the standard-cost update and
    # one audit entry per changed item (3 here), the run's own audit entry and event.
    with django_assert_max_num_queries(17):
        cost_rollup_run(user=planner)


# --- Work order actual cost ------------------------------------------------------------------------------------
@pytest.fixture
def pump(item, planner, receiving):
    """PUMP = 2 HOUSING + 0.5 SEAL (10% scrap); labour 12.00 and overhead 12.00 per batch of 4.
    Standard costs: HOUSING 2.00, SEAL 4.00, so PUMP = 2 x 2.00 + 0.5 x 1.1 x 4.00 = 6.20 material + 12.00 / 4
    = 3.00 labour + 3.00 overhead: 12.20. Stock bought dearer: 25 HOUSING at 2.20, 6 SEAL at 4.00."""
    pump, housing, seal = (
        item("PUMP"),
        item("HOUSING", standard_cost=D(2)),
        item("SEAL", standard_cost=D(4), uom=metres()),
    )
    bom_create(
        item=pump,
        lines=[
            {"component": housing, "quantity": D(2)},
            {"component": seal, "quantity": D("0.5"), "scrap_percent": D(10)},
        ],
        labour_cost=D(12), overhead_cost=D(12), cost_basis="per_batch", batch_size=D(4), user=planner,
    )  # fmt: skip
    cost_rollup_run(user=planner)
    assert cost(pump) == D("12.20")
    stock_receive(item=housing, location=receiving, quantity=25, unit_cost=D("2.20"), user=planner)
    stock_receive(item=seal, location=receiving, quantity=6, unit_cost=D("4.00"), user=planner)
    return pump


def _started(pump, planner, quantity=10):
    work_order = work_order_create(item=pump, quantity=quantity, due_date=DUE, user=planner)
    work_order_release(work_order=work_order, user=planner)
    work_order_start(work_order=work_order, user=planner)
    return work_order


def test_completed_work_order_carries_actual_cost_and_variance_to_standard(pump, planner):
    work_order = _started(pump, planner)
    work_order_complete(work_order=work_order, user=planner)
    # material: 20 HOUSING x 2.20 = 44.00 + 5.5 SEAL x 4.00 = 22.00 -> 66.00
    # 10 / 4 -> 3 batches started: labour 3 x 12.00 = 36.00, overhead 36.00; actual 138.00
    # standard: 10 x 12.20 = 122.00; variance +16.00 (dearer housings 4.00 + the part batch's 6.00 + 6.00)
    assert (work_order.material_cost, work_order.labour_cost, work_order.overhead_cost) == (D(66), D(36), D(36))
    assert work_order.actual_cost == D(138)
    assert work_order.standard_cost == D("122.00")
    assert work_order.cost_variance == D("16.00")


def test_finished_goods_come_in_at_the_actual_unit_cost(pump, planner):
    work_order = _started(pump, planner)
    work_order_complete(work_order=work_order, user=planner)
    valuation = ItemValuation.objects.get(item=pump)
    # 138.00 / 10
    assert (valuation.quantity, valuation.average_cost, valuation.value) == (D(10), D("13.80"), D("138.00"))


def test_partial_completions_add_up_to_the_whole_cost(pump, planner):
    work_order = _started(pump, planner)
    work_order_complete(work_order=work_order, user=planner, quantity=4)
    # 4 of 10: 8 HOUSING x 2.20 = 17.60 + 2.2 SEAL x 4.00 = 8.80 -> 26.40; labour and overhead 36.00 x 0.4
    # = 14.40 each; standard 4 x 12.20 = 48.80
    assert (work_order.material_cost, work_order.labour_cost, work_order.overhead_cost) == (
        D("26.40"), D("14.40"), D("14.40"),
    )  # fmt: skip
    assert work_order.standard_cost == D("48.80")
    work_order_complete(work_order=work_order, user=planner)
    assert (work_order.material_cost, work_order.labour_cost, work_order.overhead_cost) == (D(66), D(36), D(36))
    assert work_order.cost_variance == D("16.00")
