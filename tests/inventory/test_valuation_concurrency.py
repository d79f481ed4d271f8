"""Several writers valuing one item at once, each thread with its own connection (committed data, as in
test_concurrency.py): receipts at different locations share the item's one valuation row, so none is lost."""

from decimal import Decimal

from django.db.models import Sum

from inventory.models import ItemValuation, ValuationEntry
from inventory.services import stock_issue, stock_receive
from tests.inventory.factories import ItemFactory, LocationFactory
from tests.inventory.test_concurrency import WRITERS, run_writers
from tests.support import in_tenant

D = Decimal
RECEIPTS = 10


def test_concurrent_receipts_at_different_locations_lose_no_value(scratch_tenant):
    def setup():
        item = ItemFactory(sku="VAL-1", standard_cost=D(0))
        return item, [LocationFactory(code=f"V{n}") for n in range(WRITERS)]

    item, bins = in_tenant(scratch_tenant, setup)

    def body(number: int) -> None:
        for _ in range(RECEIPTS):
            # writer n receives 2 at (n + 1).00 at its own location: levels never make two writers wait
            stock_receive(item=item, location=bins[number], quantity=2, unit_cost=D(number + 1), user=None)
        stock_issue(item=item, location=bins[number], quantity=1, user=None)

    assert run_writers(scratch_tenant, body) == []
    row, ledger = in_tenant(
        scratch_tenant,
        lambda: (
            ItemValuation.objects.get(item=item),
            ValuationEntry.objects.filter(item=item).aggregate(q=Sum("quantity"), v=Sum("value")),
        ),
    )
    # in: 10 x 2 x (1 + 2 + ... + 6) = 20 x 21 = 420.00 for 120 units; out: 6 units at whatever the average was then
    assert row.quantity == D(WRITERS * RECEIPTS * 2 - WRITERS) == ledger["q"]
    assert row.value == ledger["v"]  # the running row and the ledger agree: no update lost
    entries_in = in_tenant(
        scratch_tenant, lambda: ValuationEntry.objects.filter(item=item, quantity__gt=0).aggregate(v=Sum("value"))
    )
    assert entries_in["v"] == D("420.00")
