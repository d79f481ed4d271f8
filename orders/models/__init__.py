"""Customers and suppliers, sales orders with their shipments, purchase orders with their receipts, returns.

Quantities on order lines (reserved, shipped, received) change only through `orders.services`, in the same
transaction as the inventory service call (reservation or stock move) that explains the change. The database
CHECKs stand behind the service rules: a line never ships more than it orders, never reserves more than is open.

A package by concern (partners, the documents' abstract bases and factories, the two kinds, returns, records);
everything is importable from `orders.models` as before.
"""

from orders.models.documents import (
    ZERO,
    Delivery,
    DeliveryLine,
    Order,
    OrderLine,
    delivery_kind,
    delivery_line_kind,
    order_kind,
    order_line_kind,
    order_statuses,
)
from orders.models.kinds import (
    PurchaseOrder,
    PurchaseOrderLine,
    Receipt,
    ReceiptLine,
    SalesOrder,
    SalesOrderLine,
    Shipment,
    ShipmentLine,
)
from orders.models.partners import (
    Partner,
    SupplierItem,
)
from orders.models.records import (
    IdempotencyRecord,
    OrderEvent,
)
from orders.models.returns import (
    CustomerReturn,
    CustomerReturnLine,
    DeliveryReturn,
    SupplierReturn,
    SupplierReturnLine,
    return_line_meta,
)

__all__ = [
    "ZERO",
    "CustomerReturn",
    "CustomerReturnLine",
    "Delivery",
    "DeliveryLine",
    "DeliveryReturn",
    "IdempotencyRecord",
    "Order",
    "OrderEvent",
    "OrderLine",
    "Partner",
    "PurchaseOrder",
    "PurchaseOrderLine",
    "Receipt",
    "ReceiptLine",
    "SalesOrder",
    "SalesOrderLine",
    "Shipment",
    "ShipmentLine",
    "SupplierItem",
    "SupplierReturn",
    "SupplierReturnLine",
    "delivery_kind",
    "delivery_line_kind",
    "order_kind",
    "order_line_kind",
    "order_statuses",
    "return_line_meta",
]
