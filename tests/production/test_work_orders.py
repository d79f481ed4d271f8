"""Work orders: each transition moves stock exactly (ledger and levels), refusals write nothing."""

import datetime
from decimal import Decimal

import pytest

from inventory.models import ReservationEntry, StockLevel, StockMove, UnitOfMeasure
from inventory.selectors import ledger_balance
from inventory.services import stock_receive
from production.models import ProductionEvent, WorkOrder, WorkOrderComponent
from production.services import (
    ComponentShortage,
    ProductionError,
    TransitionNotAllowed,
    work_order_cancel,
    work_order_complete,
    work_order_create,
    work_order_release,
    work_order_start,
)

D = Decimal
DUE = datetime.date(2027, 1, 31)


@pytest.fixture
def parts(item, make_bom):
    """PUMP = 2 HOUSING + 0.5 m SEAL (10% scrap): 10 pumps need 20 HOUSING and 10 x 0.5 x 1.1 = 5.5 SEAL."""
    pump, housing, seal = item("PUMP"), item("HOUSING"), item("SEAL", uom=UnitOfMeasure.objects.get(code="m"))
    make_bom(pump, (housing, 2), (seal, "0.5", 10))
    return pump, housing, seal


@pytest.fixture
def stocked(parts, receiving, planner):
    _pump, housing, seal = parts
    stock_receive(item=housing, location=receiving, quantity=25, user=planner)
    stock_receive(item=seal, location=receiving, quantity=6, user=planner)
    return parts


def level(item, location):
    row = StockLevel.objects.filter(item=item, location=location).first()
    return (row.on_hand, row.reserved) if row else (D(0), D(0))


def production_moves(work_order):
    return sorted(
        (move.reason, move.item.sku, move.quantity)
        for move in StockMove.objects.filter(source_id=work_order.pk, reason__startswith="production")
    )


def test_create_makes_a_numbered_draft(parts, planner):
    pump = parts[0]
    work_order = work_order_create(item=pump, quantity=10, due_date=DUE, user=planner)
    assert work_order.state == "draft"
    assert work_order.number == f"WO-{work_order.pk:06d}"
    assert ProductionEvent.objects.filter(work_order_id=work_order.pk, action="wo_created").exists()


def test_create_for_an_item_without_an_active_bom_is_refused(item, planner):
    with pytest.raises(ProductionError, match="BOLT has no active BOM"):
        work_order_create(item=item("BOLT"), quantity=1, due_date=DUE, user=planner)
    assert not WorkOrder.objects.exists()


def test_release_reserves_every_component_for_the_whole_order(stocked, receiving, planner):
    pump, housing, seal = stocked
    work_order = work_order_create(item=pump, quantity=10, due_date=DUE, user=planner)
    work_order_release(work_order=work_order, user=planner)
    assert work_order.state == "released"
    assert work_order.location == receiving
    assert level(housing, receiving) == (D(25), D(20))
    assert level(seal, receiving) == (D(6), D("5.5"))
    assert not production_moves(work_order)  # reserving moves nothing
    components = {c.item.sku: (c.required_quantity, c.reserved_quantity) for c in work_order.components.all()}
    assert components == {"HOUSING": (D(20), D(20)), "SEAL": (D("5.5"), D("5.5"))}


def test_release_with_a_shortage_lists_each_short_component_and_reserves_nothing(parts, receiving, planner):
    pump, housing, seal = parts
    stock_receive(item=housing, location=receiving, quantity=25, user=planner)
    stock_receive(item=seal, location=receiving, quantity=1, user=planner)
    work_order = work_order_create(item=pump, quantity=15, due_date=DUE, user=planner)
    entries = ReservationEntry.objects.count()
    with pytest.raises(ComponentShortage) as refused:
        work_order_release(work_order=work_order, user=planner)
    # 15 pumps: 30 HOUSING (25 there), 15 x 0.5 x 1.1 = 8.25 SEAL (1 there)
    assert refused.value.message == (
        f"cannot release {work_order.number}: not enough components at RECEIVING: "
        "HOUSING needs 30, 25 available; SEAL needs 8.25, 1 available"
    )
    assert ReservationEntry.objects.count() == entries
    assert level(housing, receiving) == (D(25), D(0))
    assert level(seal, receiving) == (D(1), D(0))
    work_order.refresh_from_db()
    assert work_order.state == "draft"
    assert not WorkOrderComponent.objects.filter(work_order=work_order).exists()


def test_other_reservations_count_against_availability(stocked, receiving, planner):
    pump = stocked[0]
    first = work_order_create(item=pump, quantity=10, due_date=DUE, user=planner)
    work_order_release(work_order=first, user=planner)
    second = work_order_create(item=pump, quantity=1, due_date=DUE, user=planner)
    # 1 pump: 2 HOUSING (25 - 20 = 5 free: enough), 0.55 SEAL (6 - 5.5 = 0.5 free: short)
    with pytest.raises(ComponentShortage, match=r"at RECEIVING: SEAL needs 0.55, 0.5 available$"):
        work_order_release(work_order=second, user=planner)


def test_full_lifecycle_moves_stock_exactly(stocked, receiving, planner):
    pump, housing, seal = stocked
    work_order = work_order_create(item=pump, quantity=10, due_date=DUE, user=planner)
    work_order_release(work_order=work_order, user=planner)
    work_order_start(work_order=work_order, user=planner)
    work_order_complete(work_order=work_order, user=planner)
    assert work_order.state == "done"
    assert work_order.completed_quantity == D(10)
    assert production_moves(work_order) == [
        ("production_consumption", "HOUSING", D(20)),
        ("production_consumption", "SEAL", D("5.5")),
        ("production_output", "PUMP", D(10)),
    ]
    assert level(housing, receiving) == (D(5), D(0))
    assert level(seal, receiving) == (D("0.5"), D(0))
    assert level(pump, receiving) == (D(10), D(0))
    for part in stocked:
        assert ledger_balance(item=part, location=receiving) == level(part, receiving)[0]
    actions = list(
        ProductionEvent.objects.filter(work_order_id=work_order.pk).order_by("id").values_list("action", flat=True)
    )
    assert actions == ["wo_created", "wo_released", "wo_started", "wo_completed"]


def test_partial_completion_consumes_components_pro_rata(stocked, receiving, planner):
    pump, housing, seal = stocked
    work_order = work_order_create(item=pump, quantity=10, due_date=DUE, user=planner)
    work_order_release(work_order=work_order, user=planner)
    work_order_start(work_order=work_order, user=planner)

    work_order_complete(work_order=work_order, quantity=4, user=planner)
    # 4 of 10: HOUSING 20 x 0.4 = 8, SEAL 5.5 x 0.4 = 2.2
    assert (work_order.state, work_order.completed_quantity) == ("in_progress", D(4))
    assert level(housing, receiving) == (D(17), D(12))
    assert level(seal, receiving) == (D("3.8"), D("3.3"))
    assert level(pump, receiving) == (D(4), D(0))

    work_order_complete(work_order=work_order, quantity=6, user=planner)
    assert work_order.state == "done"
    assert production_moves(work_order) == [
        ("production_consumption", "HOUSING", D(8)),
        ("production_consumption", "HOUSING", D(12)),
        ("production_consumption", "SEAL", D("2.2")),
        ("production_consumption", "SEAL", D("3.3")),
        ("production_output", "PUMP", D(4)),
        ("production_output", "PUMP", D(6)),
    ]
    assert level(housing, receiving) == (D(5), D(0))
    assert level(seal, receiving) == (D("0.5"), D(0))


def test_partial_completions_that_do_not_divide_evenly_consume_exactly_the_requirement(
    item, make_bom, receiving, planner
):
    gear, blank = item("GEAR"), item("BLANK", uom=UnitOfMeasure.objects.get(code="kg"))
    make_bom(gear, (blank, "0.1"))
    stock_receive(item=blank, location=receiving, quantity=1, user=planner)
    work_order = work_order_create(item=gear, quantity=3, due_date=DUE, user=planner)  # needs 0.3 BLANK
    work_order_release(work_order=work_order, user=planner)
    work_order_start(work_order=work_order, user=planner)
    for _ in range(3):
        work_order_complete(work_order=work_order, quantity=1, user=planner)
    assert level(blank, receiving) == (D("0.7"), D(0))
    assert level(gear, receiving) == (D(3), D(0))


def test_completing_more_than_is_left_is_refused_and_moves_nothing(stocked, planner):
    work_order = work_order_create(item=stocked[0], quantity=10, due_date=DUE, user=planner)
    work_order_release(work_order=work_order, user=planner)
    work_order_start(work_order=work_order, user=planner)
    with pytest.raises(ProductionError, match=f"{work_order.number} has 10 left to make; 11 reported"):
        work_order_complete(work_order=work_order, quantity=11, user=planner)
    assert production_moves(work_order) == []


def test_cancel_releases_the_remaining_reservations(stocked, receiving, planner):
    pump, housing, seal = stocked
    work_order = work_order_create(item=pump, quantity=10, due_date=DUE, user=planner)
    work_order_release(work_order=work_order, user=planner)
    work_order_start(work_order=work_order, user=planner)
    work_order_complete(work_order=work_order, quantity=4, user=planner)
    work_order_cancel(work_order=work_order, user=planner)
    assert work_order.state == "cancelled"
    assert level(housing, receiving) == (D(17), D(0))  # 8 consumed, 12 released
    assert level(seal, receiving) == (D("3.8"), D(0))
    assert level(pump, receiving) == (D(4), D(0))  # what was made stays
    released = ReservationEntry.objects.filter(reference=f"{work_order.number} cancelled")
    assert sorted((entry.item.sku, entry.quantity) for entry in released) == [("HOUSING", D(-12)), ("SEAL", D("-3.3"))]


def test_cancelling_a_draft_touches_no_stock(stocked, planner):
    work_order = work_order_create(item=stocked[0], quantity=10, due_date=DUE, user=planner)
    entries = ReservationEntry.objects.count()
    work_order_cancel(work_order=work_order, user=planner)
    assert work_order.state == "cancelled"
    assert ReservationEntry.objects.count() == entries


@pytest.mark.parametrize(
    ("steps", "action", "message"),
    [
        ([], work_order_start, "cannot start WO-X: it is draft; release it first"),
        ([], work_order_complete, "cannot complete WO-X: it is draft; release and start it first"),
        ([work_order_release], work_order_complete, "cannot complete WO-X: it is released; start it first"),
        ([work_order_release], work_order_release, "cannot release WO-X: it is released; it is already released"),
        ([work_order_cancel], work_order_release, "cannot release WO-X: it is cancelled"),
        (
            [work_order_release, work_order_start, work_order_complete],
            work_order_cancel,
            "cannot cancel WO-X: it is done; a finished work order stays done",
        ),
    ],
)
def test_an_invalid_transition_says_why_and_changes_nothing(stocked, planner, steps, action, message):
    work_order = work_order_create(item=stocked[0], quantity=1, due_date=DUE, user=planner, number="WO-X")
    for step in steps:
        step(work_order=work_order, user=planner)
    state, events = work_order.state, ProductionEvent.objects.count()
    with pytest.raises(TransitionNotAllowed, match=message):
        action(work_order=work_order, user=planner)
    work_order.refresh_from_db()
    assert (work_order.state, ProductionEvent.objects.count()) == (state, events)
