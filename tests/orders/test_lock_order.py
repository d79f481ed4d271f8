"""The lock order of `inventory.services.locking`, row by row: while a writer holds its locks, another connection
checks with NOWAIT what it may still lock. Committed data in a throwaway tenant (see test_concurrency.py)."""

import threading
from collections.abc import Callable

import psycopg.errors
from django.db import OperationalError, connection, transaction
from django.utils import timezone
from django_tenants.utils import tenant_context

from inventory.models import StockLevel
from inventory.services import lock_levels, stock_receive
from orders import services
from orders.services import engine
from orders.services.sales import SALES
from tests.orders.factories import CustomerFactory, ItemFactory, LocationFactory
from tests.support import in_tenant


def while_holding(tenant, hold: Callable[[], None], probe: Callable[[], object]) -> object:
    """Run `hold` in a transaction of its own thread and, while that transaction is open, `probe` in another."""
    held, done, failures = threading.Event(), threading.Event(), []

    def holder() -> None:
        try:
            with tenant_context(tenant), transaction.atomic():
                hold()
                held.set()
                done.wait(timeout=30)
        except BaseException as exc:
            failures.append(exc)
            held.set()
        finally:
            connection.close()

    thread = threading.Thread(target=holder)
    thread.start()
    held.wait(timeout=30)
    try:
        return in_tenant(tenant, probe)
    finally:
        done.set()
        thread.join(timeout=30)
        assert failures == []


def nowait(sql: str, params: list) -> str:
    """'free' when the row lock is granted at once, 'locked' when another transaction holds a conflicting one."""
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql + " NOWAIT", params)
        return "free"
    except OperationalError as exc:
        if isinstance(exc.__cause__, psycopg.errors.LockNotAvailable):
            return "locked"
        raise


def test_a_sales_order_transition_leaves_its_location_free_for_other_writers_key_share(scratch_tenant):
    def setup():
        store = LocationFactory(code="STORE")
        order = services.sales_order_create(
            customer=CustomerFactory(),
            location=store,
            user=None,
            lines=[{"item": ItemFactory(), "quantity": 1, "unit_price": 1, "promised_date": timezone.localdate()}],
        )
        return order, store

    order, store = in_tenant(scratch_tenant, setup)

    probe = while_holding(
        scratch_tenant,
        lambda: engine.lock_order(SALES, order),
        lambda: (
            nowait("SELECT 1 FROM inventory_location WHERE id = %s FOR KEY SHARE", [store.pk]),
            nowait("SELECT 1 FROM orders_salesorder WHERE id = %s FOR UPDATE", [order.pk]),
        ),
    )

    assert probe == ("free", "locked")  # a move's foreign-key check on the location goes on; the order is held


def test_lock_levels_locks_exactly_the_given_item_and_location_pairs(scratch_tenant):
    def setup():
        bolt, nut = ItemFactory(sku="BOLT"), ItemFactory(sku="NUT")
        left, right = LocationFactory(code="LEFT"), LocationFactory(code="RIGHT")
        for item in (bolt, nut):
            for location in (left, right):
                stock_receive(item=item, location=location, quantity=1, user=None)
        return (
            {
                (level.item.sku, level.location.code): level.pk
                for level in StockLevel.objects.select_related("item", "location")
            },
            (bolt.pk, left.pk),
            (nut.pk, right.pk),
        )

    levels, bolt_left, nut_right = in_tenant(scratch_tenant, setup)

    def probe():
        sql = "SELECT 1 FROM inventory_stocklevel WHERE id = %s FOR UPDATE"
        return {key: nowait(sql, [pk]) for key, pk in sorted(levels.items())}

    states = while_holding(scratch_tenant, lambda: lock_levels([bolt_left, nut_right]), probe)

    assert states == {
        ("BOLT", "LEFT"): "locked",
        ("BOLT", "RIGHT"): "free",  # the old item x location cross product locked these two as well
        ("NUT", "LEFT"): "free",
        ("NUT", "RIGHT"): "locked",
    }
