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
