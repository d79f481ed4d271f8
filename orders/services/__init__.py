"""Every write to orders, by concern: partners, the order engine (one set of transitions for every kind of order)
and its two kinds, sales (with shipments) and purchase (with receipts), and idempotency keys.

Stock changes go through inventory's services in the same transaction as the order rows that explain them; see
`orders.services.engine` for the locking order and the guards.
"""

from orders.services.errors import InvalidOrderLine, InvalidTransition, OrderError, OverReceipt, OverShipment
from orders.services.idempotency import idempotency_records_purge
from orders.services.partners import partner_create, partner_update
from orders.services.purchase import (
    over_receipt_tolerance,
    purchase_order_cancel,
    purchase_order_create,
    purchase_order_send,
    purchase_order_update,
    receipt_create,
)
from orders.services.returns import customer_return_create, returned_quantities, supplier_return_create
from orders.services.sales import (
    sales_order_cancel,
    sales_order_confirm,
    sales_order_create,
    sales_order_reserve,
    sales_order_update,
    shipment_create,
)
from orders.services.supplier_items import (
    preferred_supplier_items,
    supplier_item_create,
    supplier_item_delete,
    supplier_item_update,
)

__all__ = [
    "InvalidOrderLine",
    "InvalidTransition",
    "OrderError",
    "OverReceipt",
    "OverShipment",
    "customer_return_create",
    "idempotency_records_purge",
    "over_receipt_tolerance",
    "partner_create",
    "partner_update",
    "preferred_supplier_items",
    "purchase_order_cancel",
    "purchase_order_create",
    "purchase_order_send",
    "purchase_order_update",
    "receipt_create",
    "returned_quantities",
    "sales_order_cancel",
    "sales_order_confirm",
    "sales_order_create",
    "sales_order_reserve",
    "sales_order_update",
    "shipment_create",
    "supplier_item_create",
    "supplier_item_delete",
    "supplier_item_update",
    "supplier_return_create",
]
