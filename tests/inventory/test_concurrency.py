"""Several writers on one item at once, each thread with its own connection and its own transactions.

The threads need committed data, so these tests provision a throwaway tenant and its data from helper threads
(each thread has its own connection, in autocommit mode) and drop the tenant after. The test's own connection stays
in pytest-django's rolled-back transaction; `transactional_db` is not used, as it would flush the public schema's
tenant registry.
"""

import contextlib
import random
import threading
from collections import Counter
from decimal import Decimal

from django.db import connection
from django_tenants.utils import tenant_context

from inventory.models import StockLevel, StockMove
from inventory.selectors import ledger_balance
from inventory.services import InsufficientStock, stock_issue, stock_receive, stock_transfer
from tests.inventory.factories import ItemFactory, LocationFactory
from tests.support import in_tenant

WRITERS = 6
MOVES_PER_WRITER = 40


def run_writers(tenant, body) -> list[BaseException]:
    """Run body(writer_number) in WRITERS threads started together; return the exceptions they raised."""
    start, failures = threading.Barrier(WRITERS), []

    def target(number: int) -> None:
        try:
            with tenant_context(tenant):
                start.wait()
                body(number)
        except BaseException as exc:
            failures.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=target, args=(n,)) for n in range(WRITERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return failures


def test_concurrent_issues_and_receipts_on_one_item_lose_no_update(scratch_tenant):
    def setup():
        item, bin_ = ItemFactory(sku="HOT-1"), LocationFactory(code="HOT")
        stock_receive(item=item, location=bin_, quantity=20, user=None)
        return item, bin_

    item, bin_ = in_tenant(scratch_tenant, setup)
    outcomes = Counter()
    lock = threading.Lock()

    def body(number: int) -> None:
        rng = random.Random(number)
        for _ in range(MOVES_PER_WRITER):
            if rng.random() < 0.5:
                stock_receive(item=item, location=bin_, quantity=3, user=None)
                outcome = "received"
            else:
                try:
                    stock_issue(item=item, location=bin_, quantity=5, user=None)
                    outcome = "issued"
                except InsufficientStock:
                    outcome = "refused"
            with lock:
                outcomes[outcome] += 1

    assert run_writers(scratch_tenant, body) == []
    level, ledger, moves = in_tenant(
        scratch_tenant,
        lambda: (
            StockLevel.objects.get(item=item, location=bin_),
            ledger_balance(item=item, location=bin_),
            StockMove.objects.filter(item=item).count(),
        ),
    )
    assert sum(outcomes.values()) == WRITERS * MOVES_PER_WRITER
    assert level.on_hand == Decimal(20 + 3 * outcomes["received"] - 5 * outcomes["issued"])
    assert level.on_hand == ledger
    assert level.on_hand >= 0
    assert moves == 1 + outcomes["received"] + outcomes["issued"]


def test_transfers_both_ways_between_two_bins_never_deadlock_and_keep_the_total(scratch_tenant):
    def setup():
        item, left, right = ItemFactory(sku="SWAP-1"), LocationFactory(code="LEFT"), LocationFactory(code="RIGHT")
        stock_receive(item=item, location=left, quantity=50, user=None)
        stock_receive(item=item, location=right, quantity=50, user=None)
        return item, left, right

    item, left, right = in_tenant(scratch_tenant, setup)

    def body(number: int) -> None:
        source, target = (left, right) if number % 2 else (right, left)
        for _ in range(MOVES_PER_WRITER):
            with contextlib.suppress(InsufficientStock):
                stock_transfer(item=item, from_location=source, to_location=target, quantity=2, user=None)

    assert run_writers(scratch_tenant, body) == []  # a deadlock would surface here as OperationalError

    def balances():
        levels = {level.location_id: level.on_hand for level in StockLevel.objects.filter(item=item)}
        return levels, ledger_balance(item=item, location=left), ledger_balance(item=item, location=right)

    levels, left_ledger, right_ledger = in_tenant(scratch_tenant, balances)
    assert levels[left.pk] + levels[right.pk] == Decimal(100)
    assert (levels[left.pk], levels[right.pk]) == (left_ledger, right_ledger)


def test_writers_creating_the_same_new_level_at_once_never_deadlock_and_lose_nothing(scratch_tenant):
    def setup():
        item, source, target = ItemFactory(sku="NEW-1"), LocationFactory(code="SRC"), LocationFactory(code="NEW")
        stock_receive(item=item, location=source, quantity=1000, user=None)
        return item, source, target

    item, source, target = in_tenant(scratch_tenant, setup)

    def body(number: int) -> None:
        # The first move of every writer creates the (item, NEW) level row, which the others then wait on.
        for n in range(MOVES_PER_WRITER):
            if n % 2:
                stock_receive(item=item, location=target, quantity=1, user=None)
            else:
                stock_transfer(item=item, from_location=source, to_location=target, quantity=1, user=None)

    assert run_writers(scratch_tenant, body) == []

    def balances():
        levels = {level.location_id: level.on_hand for level in StockLevel.objects.filter(item=item)}
        return levels, ledger_balance(item=item, location=source), ledger_balance(item=item, location=target)

    levels, source_ledger, target_ledger = in_tenant(scratch_tenant, balances)
    transfers = WRITERS * (MOVES_PER_WRITER // 2)
    assert (levels[source.pk], levels[target.pk]) == (Decimal(1000 - transfers), Decimal(2 * transfers))
    assert (levels[source.pk], levels[target.pk]) == (source_ledger, target_ledger)
