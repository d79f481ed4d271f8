"""A change of an item's stock unit or tracking racing a writer of its quantities: real threads on committed data (a
scratch tenant), as in test_concurrency.py.

Django's foreign keys are DEFERRABLE INITIALLY DEFERRED, so a writer's foreign-key check locks nothing until COMMIT:
the posting function and every other writer of a quantity hold the item FOR KEY SHARE from the start
(inventory.services.locking, step 0), so the change (FOR UPDATE, then its history check) waits for the writer and
sees what it wrote, or the writer waits for the change and is refused when the new unit does not fit.
"""

import threading
import time
from collections.abc import Callable
from decimal import Decimal

from django.db import connection, transaction
from django_tenants.utils import tenant_context

from core.errors import DomainError
from inventory.models import Item, StockLevel, StockMove, UnitOfMeasure
from inventory.services import conversion_create, item_update, stock_receive
from tests.inventory.factories import ItemFactory, LocationFactory
from tests.support import in_tenant


def first_holds_then_second(tenant, first: Callable[[], object], second: Callable[[], object]) -> dict[str, str]:
    """Run `first` in a transaction left open, start `second` in another thread while it is open, then commit
    `first`; each outcome is "done" or the message of the domain error it raised."""
    posted, release, outcome = threading.Event(), threading.Event(), {}

    def run(name: str, body: Callable[[], object], hold: bool) -> None:
        try:
            with tenant_context(tenant), transaction.atomic():
                body()
                if hold:
                    posted.set()
                    release.wait(20)
            outcome[name] = "done"
        except DomainError as exc:
            outcome[name] = exc.message
        finally:
            posted.set()
            connection.close()

    one = threading.Thread(target=run, args=("first", first, True))
    one.start()
    assert posted.wait(20)
    two = threading.Thread(target=run, args=("second", second, False))
    two.start()
    time.sleep(0.5)  # the second is now waiting for the item row (or would have read no history without the lock)
    release.set()
    one.join(30)
    two.join(30)
    return outcome


def _kg() -> UnitOfMeasure:
    return UnitOfMeasure.objects.get(code="kg")


def test_a_unit_change_waiting_on_an_uncommitted_first_move_is_refused_once_it_commits(scratch_tenant):
    item, bin_ = in_tenant(scratch_tenant, lambda: (ItemFactory(sku="RACE-1"), LocationFactory(code="RACE")))
    outcome = first_holds_then_second(
        scratch_tenant,
        lambda: stock_receive(item=item, location=bin_, quantity=5, user=None),
        lambda: item_update(item=Item.objects.get(pk=item.pk), uom=_kg(), user=None),
    )
    assert outcome["first"] == "done"
    assert "its stock unit cannot change to kg" in outcome["second"]
    unit, moves = in_tenant(
        scratch_tenant, lambda: (Item.objects.get(pk=item.pk).uom.code, StockMove.objects.filter(item=item).count())
    )
    assert (unit, moves) == ("pcs", 1)


def test_a_move_waiting_on_a_unit_change_it_cannot_be_counted_in_is_refused(scratch_tenant):
    def setup():
        return ItemFactory(sku="RACE-2", uom=_kg()), LocationFactory(code="RACE"), UnitOfMeasure.objects.get(code="pcs")

    item, bin_, pcs = in_tenant(scratch_tenant, setup)
    outcome = first_holds_then_second(
        scratch_tenant,
        lambda: item_update(item=Item.objects.get(pk=item.pk), uom=pcs, user=None),
        lambda: stock_receive(item=item, location=bin_, quantity=Decimal("0.5"), user=None),  # checked in kg
    )
    assert outcome["first"] == "done"
    assert "its stock unit changed to pcs while this was entered" in outcome["second"]
    unit, moves, levels = in_tenant(
        scratch_tenant,
        lambda: (
            Item.objects.get(pk=item.pk).uom.code,
            StockMove.objects.filter(item=item).count(),
            StockLevel.objects.filter(item=item).count(),
        ),
    )
    assert (unit, moves, levels) == ("pcs", 0, 0)


def test_a_unit_change_waiting_on_an_uncommitted_conversion_is_refused_once_it_commits(scratch_tenant):
    def setup():
        box = UnitOfMeasure.objects.create(code="box", name="Box", decimals=0)
        return ItemFactory(sku="RACE-3"), box

    item, box = in_tenant(scratch_tenant, setup)
    outcome = first_holds_then_second(
        scratch_tenant,
        lambda: conversion_create(item=item, uom=box, factor=12, user=None),
        lambda: item_update(item=Item.objects.get(pk=item.pk), uom=_kg(), user=None),
    )
    assert outcome["first"] == "done"
    assert "its stock unit cannot change to kg" in outcome["second"]


def test_a_conversion_waiting_on_a_unit_change_is_refused(scratch_tenant):
    def setup():
        box = UnitOfMeasure.objects.create(code="box", name="Box", decimals=0)
        return ItemFactory(sku="RACE-4"), box

    item, box = in_tenant(scratch_tenant, setup)
    outcome = first_holds_then_second(
        scratch_tenant,
        lambda: item_update(item=Item.objects.get(pk=item.pk), uom=_kg(), user=None),
        lambda: conversion_create(item=item, uom=box, factor=12, user=None),  # 1 box = 12 pcs, as it was entered
    )
    assert outcome["first"] == "done"
    assert "its stock unit changed to kg while this was entered" in outcome["second"]


def test_a_tracking_change_waiting_on_an_uncommitted_receipt_is_refused_once_it_commits(scratch_tenant):
    item, bin_ = in_tenant(scratch_tenant, lambda: (ItemFactory(sku="RACE-5"), LocationFactory(code="RACE")))
    outcome = first_holds_then_second(
        scratch_tenant,
        lambda: stock_receive(item=item, location=bin_, quantity=5, user=None),
        lambda: item_update(item=Item.objects.get(pk=item.pk), tracking=Item.Tracking.LOT, user=None),
    )
    assert outcome["first"] == "done"
    assert "its tracking can change only when none is left" in outcome["second"]
    assert in_tenant(scratch_tenant, lambda: Item.objects.get(pk=item.pk).tracking) == Item.Tracking.NONE


def test_an_untracked_move_waiting_on_a_tracking_change_is_refused(scratch_tenant):
    item, bin_ = in_tenant(scratch_tenant, lambda: (ItemFactory(sku="RACE-6"), LocationFactory(code="RACE")))
    outcome = first_holds_then_second(
        scratch_tenant,
        lambda: item_update(item=Item.objects.get(pk=item.pk), tracking=Item.Tracking.LOT, user=None),
        lambda: stock_receive(item=item, location=bin_, quantity=5, user=None),  # entered without lots
    )
    assert outcome == {
        "first": "done",
        "second": "item RACE-6 is now tracked by lot (changed while this was entered): enter the move again",
    }
    assert in_tenant(scratch_tenant, lambda: StockMove.objects.filter(item=item).count()) == 0


def test_a_tracked_move_waiting_on_a_tracking_change_is_refused(scratch_tenant):
    def setup():
        return ItemFactory(sku="RACE-7", tracking=Item.Tracking.LOT), LocationFactory(code="RACE")

    item, bin_ = in_tenant(scratch_tenant, setup)
    outcome = first_holds_then_second(
        scratch_tenant,
        lambda: item_update(item=Item.objects.get(pk=item.pk), tracking=Item.Tracking.NONE, user=None),
        lambda: stock_receive(item=item, location=bin_, quantity=5, user=None, lots=["L-1"]),
    )
    assert outcome["second"] == (
        "item RACE-7 is no longer tracked by lot or serial (changed while this was entered): enter the move again"
    )
    assert in_tenant(scratch_tenant, lambda: StockMove.objects.filter(item=item).count()) == 0
