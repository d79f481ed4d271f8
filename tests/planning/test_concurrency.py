"""Low-level codes under concurrent BOM edits: two threads, each with its own connection, change BOMs on one chain at
the same moment; the codes must come out as if the edits ran one after the other (the BOM services serialise on one
advisory lock per tenant, so the second recompute sees the first's commit). Committed data in a throwaway tenant,
as in tests/inventory/test_concurrency.py."""

import datetime
import threading
from decimal import Decimal

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


def test_two_planners_converting_one_planned_order_at_once_make_one_purchase_order(scratch_tenant):
    """Both convert the same planned buy at the same moment: the conversion locks the planned order first, so the
    second sees it converted and is refused; one draft purchase order, never two."""
    from orders.models import PurchaseOrder
    from orders.services import supplier_item_create
    from planning import sources
    from planning.models import PlannedOrder
    from planning.runs import mrp_run_execute
    from planning.services import PlannedOrderError, mrp_run_create, planned_orders_convert
    from tests.orders.factories import SupplierFactory

    def setup():
        item = ItemFactory(sku="CONV-1", lead_time_days=2)
        supplier_item_create(supplier=SupplierFactory(), item=item, unit_price="1", is_preferred=True, user=None)
        return item

    item = in_tenant(scratch_tenant, setup)
    due = datetime.date.today() + datetime.timedelta(days=10)
    line = sources.DemandLine(item.pk, Decimal(5), due, sources.Peg("orders.salesorder", None, "SO-X"))
    sources.register(sources.Kind.DEMAND, "test_conversion", lambda: [line])
    try:
        order_id = in_tenant(
            scratch_tenant,
            lambda: PlannedOrder.objects.get(run=mrp_run_execute(run_id=mrp_run_create(user=None).pk)).pk,
        )
    finally:
        sources.unregister(sources.Kind.DEMAND, "test_conversion")
    start, outcomes = threading.Barrier(2), []

    def convert() -> None:
        try:
            with tenant_context(scratch_tenant):
                order = PlannedOrder.objects.get(pk=order_id)
                start.wait(timeout=60)
                planned_orders_convert(planned_orders=[order], user=None)
                outcomes.append("converted")
        except PlannedOrderError as exc:
            outcomes.append(exc.message)
        except BaseException as exc:
            outcomes.append(repr(exc))
        finally:
            connection.close()

    threads = [threading.Thread(target=convert) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert outcomes.count("converted") == 1, outcomes
    [refused] = [outcome for outcome in outcomes if outcome != "converted"]
    assert "is already converted into PO-" in refused
    assert in_tenant(scratch_tenant, lambda: PurchaseOrder.objects.count()) == 1
