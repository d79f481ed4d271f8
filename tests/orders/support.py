"""Helpers shared by the orders tests."""

from audit.models import AuditEntry
from inventory.models import ReservationEntry, StockLevel, StockMove
from orders.models import (
    PurchaseOrder,
    PurchaseOrderLine,
    Receipt,
    ReceiptLine,
    SalesOrder,
    SalesOrderLine,
    Shipment,
    ShipmentLine,
)


def snapshot() -> tuple:
    """Everything an order transition may write, to compare before and after a refused one."""
    return (
        StockMove.objects.count(),
        ReservationEntry.objects.count(),
        sorted(StockLevel.objects.values_list("item_id", "location_id", "on_hand", "reserved")),
        Shipment.objects.count(),
        ShipmentLine.objects.count(),
        Receipt.objects.count(),
        ReceiptLine.objects.count(),
        AuditEntry.objects.count(),
        sorted(SalesOrder.objects.values_list("id", "status")),
        sorted(PurchaseOrder.objects.values_list("id", "status")),
        sorted(SalesOrderLine.objects.values_list("id", "reserved_quantity", "shipped_quantity")),
        sorted(PurchaseOrderLine.objects.values_list("id", "received_quantity")),
    )


def level(item, location) -> tuple:
    """(on hand, reserved) of the item at the location; (0, 0) when it never had stock there."""
    row = StockLevel.objects.filter(item=item, location=location).first()
    return (row.on_hand, row.reserved) if row is not None else (0, 0)
