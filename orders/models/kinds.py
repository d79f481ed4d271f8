"""The two kinds of order: sales orders with their shipments, purchase orders with their receipts."""

from __future__ import annotations

from decimal import Decimal

from django.db import models
from django.db.models import F, Q

from core.numbers import QUANTITY
from inventory.models import Location
from orders.models.documents import ZERO, delivery_kind, delivery_line_kind, order_kind, order_line_kind


# --- Sales ----------------------------------------------------------------------------------------------------------
class SalesOrder(
    order_kind(
        prefix="so",
        partner="customer",
        related_name="sales_orders",
        released="confirmed",
        delivered="shipped",
        reference_help="The customer's own order number.",
    )
):
    """Goods sold to a customer, reserved at and shipped from one location."""

    location = models.ForeignKey(
        Location,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name="ship from",
        help_text="Stock is reserved at and shipped from this location.",
    )


class SalesOrderLine(
    order_line_kind(
        order=SalesOrder,
        price="unit_price",
        date="promised_date",
        delivered_quantity="shipped_quantity",
        own_constraints=[
            models.CheckConstraint(
                condition=Q(shipped_quantity__gte=0, shipped_quantity__lte=F("quantity")),
                name="orders_soline_shipped_within_ordered",
            ),
            models.CheckConstraint(
                condition=Q(reserved_quantity__gte=0, reserved_quantity__lte=F("quantity") - F("shipped_quantity")),
                name="orders_soline_reserved_within_open",
            ),
        ],
    )
):
    reserved_quantity = models.DecimalField(**QUANTITY, default=ZERO)

    @property
    def open_quantity(self) -> Decimal:
        return self.quantity - self.shipped_quantity


class Shipment(
    delivery_kind(
        order=SalesOrder,
        related_name="shipments",
        delivered_at="shipped_at",
        reference_help="e.g. the delivery note or tracking number.",
    )
):
    """Goods leaving for the customer from the order's location."""

    NUMBER_PREFIX = "SH"


class ShipmentLine(delivery_line_kind(delivery=Shipment, order_line=SalesOrderLine)):
    pass


# --- Purchasing -----------------------------------------------------------------------------------------------------
class PurchaseOrder(
    order_kind(
        prefix="po",
        partner="supplier",
        related_name="purchase_orders",
        released="sent",
        delivered="received",
        reference_help="The supplier's confirmation number.",
    )
):
    """Goods bought from a supplier, received into stock."""


class PurchaseOrderLine(
    order_line_kind(
        order=PurchaseOrder,
        price="unit_cost",
        date="expected_date",
        delivered_quantity="received_quantity",
        # No upper bound in the database: ORDERS_OVER_RECEIPT_TOLERANCE_PERCENT may allow receiving a little more.
        own_constraints=[
            models.CheckConstraint(condition=Q(received_quantity__gte=0), name="orders_poline_received_gte_0")
        ],
    )
):
    @property
    def open_quantity(self) -> Decimal:
        return max(self.quantity - self.received_quantity, ZERO)


class Receipt(
    delivery_kind(
        order=PurchaseOrder,
        related_name="receipts",
        delivered_at="received_at",
        reference_help="e.g. the supplier's delivery note number.",
    )
):
    """Goods arriving from the supplier into one location."""

    NUMBER_PREFIX = "RC"

    location = models.ForeignKey(Location, on_delete=models.PROTECT, related_name="+")


class ReceiptLine(delivery_line_kind(delivery=Receipt, order_line=PurchaseOrderLine)):
    pass
