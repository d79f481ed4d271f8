"""Customers and suppliers, sales orders with their shipments, purchase orders with their receipts.

Quantities on order lines (reserved, shipped, received) change only through `orders.services`, in the same
transaction as the inventory service call (reservation or stock move) that explains the change. The database
CHECKs stand behind the service rules: a line never ships more than it orders, never reserves more than is open.
"""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone

from core.numbers import MONEY, QUANTITY
from core.validators import validate_lead_time, validate_plan_date
from inventory.models import Item, Location, StockMove, UnitOfMeasure

ZERO = Decimal("0")


class Partner(models.Model):
    """A company we sell to (customer), buy from (supplier), or both."""

    code = models.CharField(max_length=32, unique=True)
    name = models.CharField(max_length=200)
    is_customer = models.BooleanField("customer", default=False)
    is_supplier = models.BooleanField("supplier", default=False)
    contact_name = models.CharField(max_length=200, blank=True)
    email = models.EmailField(blank=True)
    phone = models.CharField(max_length=64, blank=True)
    address = models.TextField(blank=True)
    default_lead_time_days = models.PositiveIntegerField(
        default=0,
        validators=[validate_lead_time],
        help_text="Supplier lead time: a purchase line without an expected date is due this many days out.",
    )
    is_active = models.BooleanField("active", default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["code"]
        constraints = [
            models.CheckConstraint(
                condition=Q(is_customer=True) | Q(is_supplier=True), name="orders_partner_customer_or_supplier"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


# --- The order engine's documents: one abstract base per role, a small concrete model per kind ------------------
# Sales and purchase orders, shipments and receipts are twins (InvenTree's Order -> SalesOrder/PurchaseOrder): what
# they share lives on the abstract bases below, so the tables, constraints and field names stay those of each kind.
class Order(models.Model):
    """A document with lines that moves stock in one direction when it is delivered (shipped or received)."""

    NUMBER_PREFIX = ""  # "SO", "PO"

    notes = models.TextField(blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        abstract = True
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.number

    @property
    def number(self) -> str:
        return f"{self.NUMBER_PREFIX}-{self.pk:05d}" if self.pk else f"{self.NUMBER_PREFIX}-new"


class OrderLine(models.Model):
    """An item and quantity on an order; `open_quantity` is what is still to deliver.

    `quantity` and what deliveries and reservations add up are in the item's stock unit (the ledger's). A line
    ordered in another unit the item converts to (boxes of 12) keeps that unit in `uom` and the quantity as entered
    in `uom_quantity` (2 boxes; `quantity` is then 24); its price is per that unit.
    """

    item = models.ForeignKey(Item, on_delete=models.PROTECT, related_name="+")
    quantity = models.DecimalField(**QUANTITY, help_text="In the item's stock unit.")
    uom = models.ForeignKey(
        UnitOfMeasure,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name="unit",
        help_text="The unit the line was ordered in; empty: the item's stock unit.",
    )
    uom_quantity = models.DecimalField(**QUANTITY, null=True, blank=True, help_text="The quantity in that unit.")

    class Meta:
        abstract = True
        ordering = ["order_id", "id"]

    def __str__(self) -> str:
        return f"{self.order_id}/{self.pk}: {self.quantity} of item {self.item_id}"

    @property
    def line_quantity(self) -> Decimal:
        """The quantity in the line's own unit (its price is per that unit)."""
        return self.uom_quantity if self.uom_id is not None and self.uom_quantity is not None else self.quantity


class Delivery(models.Model):
    """Goods leaving for (shipment) or arriving from (receipt) the partner: one stock move per line, posted together."""

    NUMBER_PREFIX = ""  # "SH", "RC"
    DELIVERED_AT = ""  # "shipped_at", "received_at"

    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return f"{self.NUMBER_PREFIX}-{self.pk:05d}" if self.pk else f"{self.NUMBER_PREFIX}-new"

    @property
    def delivered_at(self) -> datetime.datetime:
        return getattr(self, self.DELIVERED_AT)


class DeliveryLine(models.Model):
    """How much of one order line a delivery moved, and the stock move that moved it."""

    quantity = models.DecimalField(**QUANTITY)
    move = models.OneToOneField(StockMove, on_delete=models.PROTECT, related_name="+")

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return f"{self.quantity} of line {self.order_line_id}"


def order_statuses(released: str, delivered: str) -> Any:
    """The life of every kind of order, in this order (the order engine relies on it): DRAFT, released (CONFIRMED,
    SENT), PARTIALLY_<delivered>, delivered (SHIPPED, RECEIVED), CANCELLED; each labelled like "Partially shipped".
    """
    values = ["draft", released, f"partially_{delivered}", delivered, "cancelled"]
    members = [(value.upper(), (value, value.replace("_", " ").capitalize())) for value in values]
    return models.TextChoices("Status", members, module=__name__)


def closed_at_field(delivered: str) -> models.DateTimeField:
    return models.DateTimeField(null=True, blank=True, help_text=f"When it was fully {delivered} or cancelled.")


def order_meta(prefix: str) -> type:
    """The Meta of an order kind: newest first, indexed by status."""

    class Meta(Order.Meta):
        indexes = [models.Index(fields=["status"], name=f"orders_{prefix}_status")]

    return Meta


def line_constraints(prefix: str, price_field: str) -> list[models.BaseConstraint]:
    """What every order line's table holds: a positive quantity, a price or cost of zero or more, and a quantity in
    the line's unit exactly when it has one."""
    return [
        models.CheckConstraint(condition=Q(quantity__gt=0), name=f"orders_{prefix}_quantity_gt_0"),
        models.CheckConstraint(condition=Q(**{f"{price_field}__gte": 0}), name=f"orders_{prefix}_{price_field}_gte_0"),
        models.CheckConstraint(
            condition=Q(uom__isnull=True, uom_quantity__isnull=True) | Q(uom__isnull=False, uom_quantity__gt=0),
            name=f"orders_{prefix}_uom_quantity_with_uom",
        ),
    ]


def delivery_line_meta(delivery: str) -> type:
    """The Meta of a delivery's line: in delivery order; a positive quantity; each order line once per delivery."""

    class Meta:
        ordering = [f"{delivery}_id", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gt=0), name=f"orders_{delivery}line_quantity_gt_0"),
            models.UniqueConstraint(fields=[delivery, "order_line"], name=f"orders_{delivery}line_once_per_line"),
        ]

    return Meta


# --- Sales ----------------------------------------------------------------------------------------------------------
class SalesOrder(Order):
    NUMBER_PREFIX = "SO"

    Status = order_statuses("confirmed", "shipped")

    OPEN_STATUSES = (Status.CONFIRMED, Status.PARTIALLY_SHIPPED)

    customer = models.ForeignKey(Partner, on_delete=models.PROTECT, related_name="sales_orders")
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.DRAFT)
    location = models.ForeignKey(
        Location,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name="ship from",
        help_text="Stock is reserved at and shipped from this location.",
    )
    customer_reference = models.CharField(max_length=100, blank=True, help_text="The customer's own order number.")
    confirmed_at = models.DateTimeField(null=True, blank=True)
    closed_at = closed_at_field("shipped")

    Meta = order_meta("so")


class SalesOrderLine(OrderLine):
    order = models.ForeignKey(SalesOrder, on_delete=models.CASCADE, related_name="lines")
    unit_price = models.DecimalField(**MONEY)
    promised_date = models.DateField(validators=[validate_plan_date])
    reserved_quantity = models.DecimalField(**QUANTITY, default=ZERO)
    shipped_quantity = models.DecimalField(**QUANTITY, default=ZERO)

    class Meta(OrderLine.Meta):
        constraints = [
            *line_constraints("soline", "unit_price"),
            models.CheckConstraint(
                condition=Q(shipped_quantity__gte=0, shipped_quantity__lte=F("quantity")),
                name="orders_soline_shipped_within_ordered",
            ),
            models.CheckConstraint(
                condition=Q(reserved_quantity__gte=0, reserved_quantity__lte=F("quantity") - F("shipped_quantity")),
                name="orders_soline_reserved_within_open",
            ),
        ]

    @property
    def open_quantity(self) -> Decimal:
        return self.quantity - self.shipped_quantity


class Shipment(Delivery):
    """Goods leaving for the customer from the order's location."""

    NUMBER_PREFIX = "SH"
    DELIVERED_AT = "shipped_at"

    order = models.ForeignKey(SalesOrder, on_delete=models.PROTECT, related_name="shipments")
    reference = models.CharField(max_length=200, blank=True, help_text="e.g. the delivery note or tracking number.")
    shipped_at = models.DateTimeField(default=timezone.now)

    class Meta(Delivery.Meta):
        ordering = ["-shipped_at", "-id"]


class ShipmentLine(DeliveryLine):
    shipment = models.ForeignKey(Shipment, on_delete=models.PROTECT, related_name="lines")
    order_line = models.ForeignKey(SalesOrderLine, on_delete=models.PROTECT, related_name="shipment_lines")

    Meta = delivery_line_meta("shipment")


# --- Purchasing -----------------------------------------------------------------------------------------------------
class PurchaseOrder(Order):
    NUMBER_PREFIX = "PO"

    Status = order_statuses("sent", "received")

    OPEN_STATUSES = (Status.SENT, Status.PARTIALLY_RECEIVED)

    supplier = models.ForeignKey(Partner, on_delete=models.PROTECT, related_name="purchase_orders")
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.DRAFT)
    supplier_reference = models.CharField(max_length=100, blank=True, help_text="The supplier's confirmation number.")
    sent_at = models.DateTimeField(null=True, blank=True)
    closed_at = closed_at_field("received")

    Meta = order_meta("po")


class PurchaseOrderLine(OrderLine):
    order = models.ForeignKey(PurchaseOrder, on_delete=models.CASCADE, related_name="lines")
    unit_cost = models.DecimalField(**MONEY)
    expected_date = models.DateField(validators=[validate_plan_date])
    # No upper bound in the database: ORDERS_OVER_RECEIPT_TOLERANCE_PERCENT may allow receiving a little more.
    received_quantity = models.DecimalField(**QUANTITY, default=ZERO)

    class Meta(OrderLine.Meta):
        constraints = [
            *line_constraints("poline", "unit_cost"),
            models.CheckConstraint(condition=Q(received_quantity__gte=0), name="orders_poline_received_gte_0"),
        ]

    @property
    def open_quantity(self) -> Decimal:
        return max(self.quantity - self.received_quantity, ZERO)


class Receipt(Delivery):
    """Goods arriving from the supplier into one location."""

    NUMBER_PREFIX = "RC"
    DELIVERED_AT = "received_at"

    order = models.ForeignKey(PurchaseOrder, on_delete=models.PROTECT, related_name="receipts")
    location = models.ForeignKey(Location, on_delete=models.PROTECT, related_name="+")
    reference = models.CharField(max_length=200, blank=True, help_text="e.g. the supplier's delivery note number.")
    received_at = models.DateTimeField(default=timezone.now)

    class Meta(Delivery.Meta):
        ordering = ["-received_at", "-id"]


class ReceiptLine(DeliveryLine):
    receipt = models.ForeignKey(Receipt, on_delete=models.PROTECT, related_name="lines")
    order_line = models.ForeignKey(PurchaseOrderLine, on_delete=models.PROTECT, related_name="receipt_lines")

    Meta = delivery_line_meta("receipt")


class OrderEvent(models.Model):
    """No longer written: an order's history is its audit entries (`orders.selectors.order_history`).

    Expand-then-contract: the services stopped writing it (and the admin showing it) in this release while the table
    keeps the rows written before; the next release drops the model and its table (a DeleteModel migration) once no
    running code writes it. Every order event written since the audit log came has its audit entry.
    """

    sales_order = models.ForeignKey(SalesOrder, null=True, blank=True, on_delete=models.CASCADE, related_name="events")
    purchase_order = models.ForeignKey(
        PurchaseOrder, null=True, blank=True, on_delete=models.CASCADE, related_name="events"
    )
    action = models.CharField(max_length=32)
    detail = models.CharField(max_length=500, blank=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(sales_order__isnull=False, purchase_order__isnull=True)
                | Q(sales_order__isnull=True, purchase_order__isnull=False),
                name="orders_orderevent_one_order",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.action} {self.sales_order_id or self.purchase_order_id}"


class IdempotencyRecord(models.Model):
    """The first response to an API POST sent with an `Idempotency-Key` header, replayed to retries of it.

    Lives in the tenant schema, so a key is unique per tenant. The fingerprint (method, path, user, body) tells a
    retry from a different request that reuses the key.
    """

    key = models.CharField(max_length=255, unique=True)
    fingerprint = models.CharField(max_length=64)
    response_status = models.PositiveSmallIntegerField(null=True)
    response_body = models.JSONField(null=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.key
