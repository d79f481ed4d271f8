"""Several writers on the lots of one item at once, each thread with its own connection (see test_concurrency.py):
lot levels never go negative, never lose an update, and always add up to the item's level."""

import random
import threading
from collections import Counter
from decimal import Decimal

from django.db.models import Sum

from inventory.models import Item, LotLevel, StockLevel, StockMoveLot
from inventory.services import InsufficientStock, stock_issue, stock_receive, stock_transfer
from tests.inventory.factories import ItemFactory, LocationFactory
from tests.inventory.test_concurrency import MOVES_PER_WRITER, run_writers
from tests.support import in_tenant

D = Decimal


def test_concurrent_issues_of_the_same_lot_never_take_it_below_zero(scratch_tenant):
    def setup():
        item = ItemFactory(sku="LOT-HOT", tracking=Item.Tracking.LOT)
        bin_ = LocationFactory(code="HOT")
        stock_receive(item=item, location=bin_, quantity=30, user=None, lots=["HOT-1"])
        stock_receive(item=item, location=bin_, quantity=30, user=None, lots=["HOT-2"])
        return item, bin_

    item, bin_ = in_tenant(scratch_tenant, setup)
    outcomes = Counter()
    lock = threading.Lock()

    def body(number: int) -> None:
        for _ in range(MOVES_PER_WRITER // 4):
            try:
                stock_issue(item=item, location=bin_, quantity=2, user=None, lots=["HOT-1"])
                outcome = "issued"
            except InsufficientStock:
                outcome = "refused"
            with lock:
                outcomes[outcome] += 1

    assert run_writers(scratch_tenant, body) == []
    levels = in_tenant(
        scratch_tenant,
        lambda: dict(LotLevel.objects.filter(location=bin_).values_list("lot__code", "on_hand")),
    )
    assert outcomes["issued"] == 15  # exactly 30 / 2 issues fit; every other one was refused
    assert levels == {"HOT-1": D(0), "HOT-2": D(30)}


def test_concurrent_fefo_issues_receipts_and_transfers_keep_lots_equal_to_the_level(scratch_tenant):
    def setup():
        item = ItemFactory(sku="LOT-MIX", tracking=Item.Tracking.LOT)
        here, there = LocationFactory(code="HERE"), LocationFactory(code="THERE")
        stock_receive(item=item, location=here, quantity=20, user=None, lots=["MIX-0"])
        return item, here, there

    item, here, there = in_tenant(scratch_tenant, setup)

    def body(number: int) -> None:
        rng = random.Random(number)
        for _ in range(MOVES_PER_WRITER // 2):
            roll = rng.random()
            try:
                if roll < 0.4:
                    lot = f"MIX-{rng.randint(0, 4)}"
                    stock_receive(item=item, location=here, quantity=rng.randint(1, 4), user=None, lots=[lot])
                elif roll < 0.8:
                    stock_issue(item=item, location=here, quantity=rng.randint(1, 6), user=None)
                else:
                    stock_transfer(item=item, from_location=here, to_location=there, quantity=3, user=None)
            except InsufficientStock:
                pass

    assert run_writers(scratch_tenant, body) == []

    def totals():
        result = {}
        for location in (here, there):
            level = StockLevel.objects.filter(item=item, location=location).first()
            lots = LotLevel.objects.filter(lot__item=item, location=location)
            result[location.code] = (
                level.on_hand if level else D(0),
                lots.aggregate(total=Sum("on_hand"))["total"] or D(0),
                lots.filter(on_hand__lt=0).count(),
            )
        moved = StockMoveLot.objects.filter(move__item=item).count()
        return result, moved

    result, moved = in_tenant(scratch_tenant, totals)
    for code, (level, lots, negative) in result.items():
        assert level == lots, f"{code}: level {level} but its lots add up to {lots}"
        assert negative == 0
    assert moved > 0


def _race(scratch_tenant, first, second):
    from tests.inventory.test_units_concurrency import first_holds_then_second

    return first_holds_then_second(scratch_tenant, first, second)


def test_two_receipts_of_a_new_serial_into_different_locations_at_once_leave_one_unit(scratch_tenant):
    def setup():
        return (
            ItemFactory(sku="SER-RACE", tracking=Item.Tracking.SERIAL),
            LocationFactory(code="A"),
            LocationFactory(code="B"),
        )

    item, a, b = in_tenant(scratch_tenant, setup)
    outcome = _race(
        scratch_tenant,
        lambda: stock_receive(item=item, location=a, quantity=1, user=None, lots=["SN-1"]),
        lambda: stock_receive(item=item, location=b, quantity=1, user=None, lots=["SN-1"]),
    )
    assert outcome == {"first": "done", "second": "serial number SN-1 of SER-RACE is already in stock"}
    on_hand = in_tenant(scratch_tenant, lambda: LotLevel.objects.filter(lot__item=item).aggregate(s=Sum("on_hand")))
    assert on_hand["s"] == 1


def test_two_receipts_of_a_known_serial_into_different_locations_at_once_leave_one_unit(scratch_tenant):
    def setup():
        item = ItemFactory(sku="SER-BACK", tracking=Item.Tracking.SERIAL)
        a, b = LocationFactory(code="A"), LocationFactory(code="B")
        stock_receive(item=item, location=a, quantity=1, user=None, lots=["SN-2"])
        stock_issue(item=item, location=a, quantity=1, user=None)  # it left: the serial may arrive again
        return item, a, b

    item, a, b = in_tenant(scratch_tenant, setup)
    outcome = _race(
        scratch_tenant,
        lambda: stock_receive(item=item, location=a, quantity=1, user=None, lots=["SN-2"]),
        lambda: stock_receive(item=item, location=b, quantity=1, user=None, lots=["SN-2"]),
    )
    assert outcome == {"first": "done", "second": "serial number SN-2 of SER-BACK is already in stock"}
    levels = StockLevel.objects.filter(item=item).values_list("location", "on_hand")
    on_hand = in_tenant(scratch_tenant, lambda: dict(levels))
    assert on_hand == {a.pk: 1}  # the refused receipt left no level at B


def test_two_receipts_of_a_new_lot_into_different_locations_at_once_both_count(scratch_tenant):
    def setup():
        return (
            ItemFactory(sku="LOT-RACE", tracking=Item.Tracking.LOT),
            LocationFactory(code="A"),
            LocationFactory(code="B"),
        )

    item, a, b = in_tenant(scratch_tenant, setup)
    outcome = _race(
        scratch_tenant,
        lambda: stock_receive(item=item, location=a, quantity=3, user=None, lots=["L-1"]),
        lambda: stock_receive(item=item, location=b, quantity=4, user=None, lots=["L-1"]),
    )
    assert outcome == {"first": "done", "second": "done"}
    lot_levels = LotLevel.objects.filter(lot__item=item, lot__code="L-1")
    levels = in_tenant(scratch_tenant, lambda: sorted(lot_levels.values_list("location__code", "on_hand")))
    assert levels == [("A", D(3)), ("B", D(4))]
