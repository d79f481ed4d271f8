"""A three-level plant for the lot genealogy and trace tests, with every number worked out.

Bought (one receipt of PO from S-ONE into the receiving location):
    RESIN lot R-A 6 (supplier lot SUP-A, expires 2027-02-01), lot R-B 4 (expires 2027-05-01); FIBRE lot F-1 6.
Level 2: PANEL = 2 RESIN + 1 FIBRE, tracked by lot. A work order makes 4: FEFO consumes R-A 6 and R-B 2 (8 resin) and
    F-1 4; the output is one lot named after the work order, 4 panels.
Level 3: KIT = 2 PANEL, tracked by serial. A work order makes 2: it consumes 4 panels of the panel lot; the output is
    serials <WO>-0001 and <WO>-0002, each made from 2 panels.
Sold: a sales order to C-ONE for 1 kit, shipped picking serial <WO>-0002.
"""

import datetime
from dataclasses import dataclass
from decimal import Decimal

from inventory.models import Item, Location, Lot
from orders import services as orders
from orders.models import PurchaseOrder, SalesOrder, Shipment
from production import services as production
from production.models import WorkOrder
from tests.inventory.factories import ItemFactory, UserFactory
from tests.orders.factories import CustomerFactory, SupplierFactory


@dataclass
class Plant:
    resin_a: Lot
    resin_b: Lot
    fibre: Lot
    panel_lot: Lot
    kit_1: Lot
    kit_2: Lot
    panel_order: WorkOrder
    kit_order: WorkOrder
    purchase: PurchaseOrder
    sale: SalesOrder
    shipment: Shipment


def build_plant() -> Plant:
    user = UserFactory(username="planner")
    receiving = Location.objects.get(is_default_receiving=True)
    resin = ItemFactory(sku="RESIN", name="Resin", kind="raw_material", tracking=Item.Tracking.LOT)
    fibre = ItemFactory(sku="FIBRE", name="Fibre", kind="raw_material", tracking=Item.Tracking.LOT)
    panel = ItemFactory(sku="PANEL", name="Panel", tracking=Item.Tracking.LOT)
    kit = ItemFactory(sku="KIT", name="Kit", kind="finished_good", tracking=Item.Tracking.SERIAL)
    production.bom_create(
        item=panel, version="1", user=user,
        lines=[{"component": resin, "quantity": Decimal(2)}, {"component": fibre, "quantity": Decimal(1)}],
    )  # fmt: skip
    production.bom_create(item=kit, version="1", user=user, lines=[{"component": panel, "quantity": Decimal(2)}])

    supplier = SupplierFactory(code="S-ONE", name="Supplier One")
    due = datetime.date.today() + datetime.timedelta(days=7)
    purchase = orders.purchase_order_create(
        supplier=supplier, user=user,
        lines=[
            {"item": resin, "quantity": 10, "unit_cost": "1", "expected_date": due},
            {"item": fibre, "quantity": 6, "unit_cost": "1", "expected_date": due},
        ],
    )  # fmt: skip
    orders.purchase_order_send(order=purchase, user=user)
    resin_line, fibre_line = purchase.lines.order_by("pk")
    orders.receipt_create(
        order=purchase, user=user,
        lines=[
            {"line": resin_line.pk, "quantity": 10, "lots": [
                {"code": "R-A", "quantity": 6, "supplier_lot": "SUP-A", "expiry_date": datetime.date(2027, 2, 1)},
                {"code": "R-B", "quantity": 4, "expiry_date": datetime.date(2027, 5, 1)},
            ]},
            {"line": fibre_line.pk, "quantity": 6, "lots": [{"code": "F-1"}]},
        ],
    )  # fmt: skip

    def make(item: Item, quantity: int) -> WorkOrder:
        work_order = production.work_order_create(item=item, quantity=quantity, due_date=due, user=user)
        production.work_order_release(work_order=work_order, user=user, location=receiving)
        production.work_order_start(work_order=work_order, user=user)
        return production.work_order_complete(work_order=work_order, user=user)

    panel_order = make(panel, 4)
    kit_order = make(kit, 2)

    customer = CustomerFactory(code="C-ONE", name="Customer One")
    sale = orders.sales_order_create(
        customer=customer, location=receiving, user=user,
        lines=[{"item": kit, "quantity": 1, "unit_price": "100", "promised_date": due}],
    )  # fmt: skip
    orders.sales_order_confirm(order=sale, user=user)
    shipment = orders.shipment_create(
        order=sale, user=user,
        lines=[{"line": sale.lines.get().pk, "quantity": 1, "lots": [f"{kit_order.number}-0002"]}],
    )  # fmt: skip
    lots = {(lot.item.sku, lot.code): lot for lot in Lot.objects.select_related("item")}
    return Plant(
        resin_a=lots["RESIN", "R-A"],
        resin_b=lots["RESIN", "R-B"],
        fibre=lots["FIBRE", "F-1"],
        panel_lot=lots["PANEL", panel_order.number],
        kit_1=lots["KIT", f"{kit_order.number}-0001"],
        kit_2=lots["KIT", f"{kit_order.number}-0002"],
        panel_order=panel_order,
        kit_order=kit_order,
        purchase=purchase,
        sale=sale,
        shipment=shipment,
    )
