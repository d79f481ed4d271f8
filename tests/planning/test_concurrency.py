"""Low-level codes under concurrent BOM edits: two threads, each with its own connection, change BOMs on one chain at
the same moment; the codes must come out as if the edits ran one after the other (the BOM services serialise on one
advisory lock per tenant, so the second recompute sees the first's commit). Committed data in a throwaway tenant,
as in tests/inventory/test_concurrency.py."""

import threading

from django.db import connection
from django_tenants.utils import tenant_context

from inventory.models import Item
from production.services import bom_create
from tests.inventory.factories import ItemFactory
from tests.support import in_tenant

ROUNDS = 5


def test_concurrent_bom_edits_on_one_chain_leave_the_deepest_level_on_each_item(scratch_tenant):
    chains = in_tenant(scratch_tenant, lambda: [[ItemFactory(sku=f"R{r}-{n}") for n in "ABC"] for r in range(ROUNDS)])
    start, failures = threading.Barrier(2), []

    def edit(number: int) -> None:
        try:
            with tenant_context(scratch_tenant):
                for a, b, c in chains:
                    start.wait(timeout=60)
                    parent, component = (a, b) if number == 0 else (b, c)
                    bom_create(item=parent, lines=[{"component": component, "quantity": 1}], user=None)
        except BaseException as exc:
            failures.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=edit, args=(n,)) for n in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert failures == []
    codes = in_tenant(
        scratch_tenant,
        lambda: [[Item.objects.get(pk=i.pk).low_level_code for i in chain] for chain in chains],
    )
    assert codes == [[0, 1, 2]] * ROUNDS
