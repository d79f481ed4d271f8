"""Order lines and a change of their item's stock unit, at the same moment: real threads on committed data (see
tests/inventory/test_units_concurrency.py). The line's writer holds the item FOR KEY SHARE (inventory.services.locking,
step 0): the change waits for it and sees the line, or the line waits for the change and is refused."""

from inventory.models import Item, UnitOfMeasure
from inventory.services import item_update
from orders.models import PurchaseOrderLine
from orders.services import purchase_order_create
from tests.inventory.test_units_concurrency import first_holds_then_second
from tests.orders.factories import ItemFactory, SupplierFactory
from tests.support import in_tenant


def _order(item, supplier):
    return lambda: purchase_order_create(
        supplier=supplier, lines=[{"item": item, "quantity": 3, "unit_cost": 1}], user=None
    )


def _to_kg(item):
    return lambda: item_update(item=Item.objects.get(pk=item.pk), uom=UnitOfMeasure.objects.get(code="kg"), user=None)


def test_a_unit_change_waiting_on_an_uncommitted_order_line_is_refused_once_it_commits(scratch_tenant):
    item, supplier = in_tenant(scratch_tenant, lambda: (ItemFactory(sku="RACE-PO1"), SupplierFactory()))
    outcome = first_holds_then_second(scratch_tenant, _order(item, supplier), _to_kg(item))
    assert outcome["first"] == "done"
    assert "its stock unit cannot change to kg" in outcome["second"]


def test_an_order_line_waiting_on_a_unit_change_is_refused(scratch_tenant):
    item, supplier = in_tenant(scratch_tenant, lambda: (ItemFactory(sku="RACE-PO2"), SupplierFactory()))
    outcome = first_holds_then_second(scratch_tenant, _to_kg(item), _order(item, supplier))
    assert outcome["first"] == "done"
    assert "its stock unit changed to kg while this was entered" in outcome["second"]
    assert in_tenant(scratch_tenant, lambda: PurchaseOrderLine.objects.filter(item_id=item.pk).count()) == 0
