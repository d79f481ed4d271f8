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
from django.contrib.postgres.indexes import GinIndex
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
    custom_fields = models.JSONField(default=dict, blank=True, help_text="Custom-field values by key.")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["code"]
        indexes = [GinIndex(fields=["custom_fields"], opclasses=["jsonb_path_ops"], name="orders_partner_cf_gin")]
        constraints = [
            models.CheckConstraint(
                condition=Q(is_customer=True) | Q(is_supplier=True), name="orders_partner_customer_or_supplier"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class SupplierItem(models.Model):
    """What a supplier sells an item for: its price, its lead time and, optionally, the least it sells. An item has at
    most one preferred supplier (a partial unique constraint); converting planned buys orders from it."""

    supplier = models.ForeignKey(Partner, on_delete=models.PROTECT, related_name="supplier_items")
    item = models.ForeignKey(Item, on_delete=models.CASCADE, related_name="supplier_items")
    unit_price = models.DecimalField(**MONEY, help_text="The price per stock unit of the item.")
    lead_time_days = models.PositiveIntegerField(
        default=0, validators=[validate_lead_time], help_text="Days from ordering to delivery."
    )
    minimum_quantity = models.DecimalField(
        **QUANTITY, null=True, blank=True, help_text="The least the supplier sells in one order (stock units)."
    )
    is_preferred = models.BooleanField("preferred", default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["item_id", "-is_preferred", "supplier_id"]
        constraints = [
            models.UniqueConstraint(fields=["supplier", "item"], name="orders_supplieritem_supplier_item_uniq"),
            models.UniqueConstraint(
                fields=["item"], condition=Q(is_preferred=True), name="orders_supplieritem_one_preferred_per_item"
            ),
            models.CheckConstraint(condition=Q(unit_price__gte=0), name="orders_supplieritem_price_gte_0"),
            models.CheckConstraint(
                condition=Q(minimum_quantity__isnull=True) | Q(minimum_quantity__gt=0),
                name="orders_supplieritem_minimum_gt_0",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.item_id} from {self.supplier_id}"


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


def order_kind(
    *, prefix: str, partner: str, related_name: str, released: str, delivered: str, reference_help: str
) -> type[Order]:
    """The abstract base of an order kind ("so": sales): its partner (customer, supplier), status, the partner's
    reference, when it was released (confirmed_at, sent_at) and closed; newest first, indexed by status.

    One declaration for sales and purchase orders; the field names, help texts, related names and the index are each
    kind's own, so its table and columns stay as they are.
    """
    status = order_statuses(released, delivered)

    class Meta(Order.Meta):
        abstract = True
        indexes = [
            models.Index(fields=["status"], name=f"orders_{prefix}_status"),
            GinIndex(fields=["custom_fields"], opclasses=["jsonb_path_ops"], name=f"orders_{prefix}_cf_gin"),
        ]

    fields = {
        partner: models.ForeignKey(Partner, on_delete=models.PROTECT, related_name=related_name),
        "status": models.CharField(max_length=20, choices=status.choices, default=status.DRAFT),
        f"{partner}_reference": models.CharField(max_length=100, blank=True, help_text=reference_help),
        f"{released}_at": models.DateTimeField(null=True, blank=True),
        "closed_at": models.DateTimeField(
            null=True, blank=True, help_text=f"When it was fully {delivered} or cancelled."
        ),
        "custom_fields": models.JSONField(default=dict, blank=True, help_text="Custom-field values by key."),
    }
    attrs = {
        "__module__": __name__,
        "NUMBER_PREFIX": prefix.upper(),
        "Status": status,
        "OPEN_STATUSES": (status[released.upper()], status[f"PARTIALLY_{delivered.upper()}"]),
        "Meta": Meta,
        **fields,
    }
    return type(f"{prefix.upper()}Order", (Order,), attrs)


def order_line_kind(
    *, order: type[Order], price: str, date: str, delivered_quantity: str, own_constraints: list[models.BaseConstraint]
) -> type[OrderLine]:
    """The abstract base of an order kind's line: its order, a price or cost (zero or more), the date it is due, how
    much was delivered; a positive quantity, a quantity in the line's unit exactly when it has one, and the kind's
    `own_constraints`. Constraint names start with the
    order's prefix ("orders_soline_").
    """
    prefix = f"{order.NUMBER_PREFIX.lower()}line"

    class Meta(OrderLine.Meta):
        abstract = True
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gt=0), name=f"orders_{prefix}_quantity_gt_0"),
            models.CheckConstraint(condition=Q(**{f"{price}__gte": 0}), name=f"orders_{prefix}_{price}_gte_0"),
            models.CheckConstraint(
                condition=Q(uom__isnull=True, uom_quantity__isnull=True) | Q(uom__isnull=False, uom_quantity__gt=0),
                name=f"orders_{prefix}_uom_quantity_with_uom",
            ),
            *own_constraints,
        ]

    fields = {
        "order": models.ForeignKey(order, on_delete=models.CASCADE, related_name="lines"),
        price: models.DecimalField(**MONEY),
        date: models.DateField(validators=[validate_plan_date]),
        delivered_quantity: models.DecimalField(**QUANTITY, default=ZERO),
    }
    return type(f"{order.__name__}LineBase", (OrderLine,), {"__module__": __name__, "Meta": Meta, **fields})


def delivery_kind(*, order: type[Order], related_name: str, delivered_at: str, reference_help: str) -> type[Delivery]:
    """The abstract base of a delivery kind: its order, a reference, when it was delivered (newest first).

    One declaration for shipments and receipts; the field names (`delivered_at` is "shipped_at" or "received_at"),
    help texts and related names are each kind's own, so its table and columns stay as they are.
    """

    class Meta(Delivery.Meta):
        abstract = True
        ordering = [f"-{delivered_at}", "-id"]

    fields = {
        "order": models.ForeignKey(order, on_delete=models.PROTECT, related_name=related_name),
        "reference": models.CharField(max_length=200, blank=True, help_text=reference_help),
        delivered_at: models.DateTimeField(default=timezone.now),
    }
    attrs = {"__module__": __name__, "DELIVERED_AT": delivered_at, "Meta": Meta, **fields}
    return type(f"{order.__name__}Delivery", (Delivery,), attrs)


def delivery_line_kind(*, delivery: type[Delivery], order_line: type[OrderLine]) -> type[DeliveryLine]:
    """The abstract base of a delivery's line, named for the delivery ("shipment"): its delivery and order line, in
    delivery order; a positive quantity; each order line once per delivery.
    """
    name = delivery._meta.model_name

    class Meta:
        abstract = True
        ordering = [f"{name}_id", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gt=0), name=f"orders_{name}line_quantity_gt_0"),
            models.UniqueConstraint(fields=[name, "order_line"], name=f"orders_{name}line_once_per_line"),
        ]

    fields = {
        name: models.ForeignKey(delivery, on_delete=models.PROTECT, related_name="lines"),
        "order_line": models.ForeignKey(order_line, on_delete=models.PROTECT, related_name=f"{name}_lines"),
    }
    return type(f"{delivery.__name__}LineBase", (DeliveryLine,), {"__module__": __name__, "Meta": Meta, **fields})


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


# --- Returns: a delivery's goods going back, a document of its own linked to the delivery (Odoo's return picking,
# InvenTree's return order). The return's move is posted with the return as its source; the order line's shipped or
# received quantity goes down in the same transaction, so the order and the ledger never disagree.
class DeliveryReturn(models.Model):
    """Goods of one delivery going back: a customer returning a shipment, or us returning a receipt to the supplier."""

    NUMBER_PREFIX = ""  # "CR", "SR"

    reference = models.CharField(max_length=200, blank=True, help_text="e.g. the RMA or returns note number.")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        abstract = True
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.NUMBER_PREFIX}-{self.pk:05d}" if self.pk else f"{self.NUMBER_PREFIX}-new"


def return_line_meta(document: str, delivery_line: str) -> type:
    """The Meta of a return's line: in return order; a positive quantity; each delivery line once per return."""

    class Meta:
        ordering = [f"{document}_id", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gt=0), name=f"orders_{document}line_quantity_gt_0"),
            models.UniqueConstraint(fields=[document, delivery_line], name=f"orders_{document}line_once_per_line"),
        ]

    return Meta


class CustomerReturn(DeliveryReturn):
    """Goods of a shipment coming back from the customer into a location; the order has them to ship again."""

    NUMBER_PREFIX = "CR"

    shipment = models.ForeignKey(Shipment, on_delete=models.PROTECT, related_name="returns")
    location = models.ForeignKey(Location, on_delete=models.PROTECT, related_name="+")


class CustomerReturnLine(models.Model):
    customer_return = models.ForeignKey(CustomerReturn, on_delete=models.PROTECT, related_name="lines")
    shipment_line = models.ForeignKey(ShipmentLine, on_delete=models.PROTECT, related_name="returns")
    quantity = models.DecimalField(**QUANTITY)
    move = models.OneToOneField(StockMove, on_delete=models.PROTECT, related_name="+")

    Meta = return_line_meta("customer_return", "shipment_line")

    def __str__(self) -> str:
        return f"{self.quantity} of shipment line {self.shipment_line_id}"


class SupplierReturn(DeliveryReturn):
    """Goods of a receipt going back to the supplier from the receipt's location; the order expects them again."""

    NUMBER_PREFIX = "SR"

    receipt = models.ForeignKey(Receipt, on_delete=models.PROTECT, related_name="returns")


class SupplierReturnLine(models.Model):
    supplier_return = models.ForeignKey(SupplierReturn, on_delete=models.PROTECT, related_name="lines")
    receipt_line = models.ForeignKey(ReceiptLine, on_delete=models.PROTECT, related_name="returns")
    quantity = models.DecimalField(**QUANTITY)
    move = models.OneToOneField(StockMove, on_delete=models.PROTECT, related_name="+")

    Meta = return_line_meta("supplier_return", "receipt_line")

    def __str__(self) -> str:
        return f"{self.quantity} of receipt line {self.receipt_line_id}"


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

    Lives in the tenant schema, so a key is unique per tenant; `key` is "<user id>:<client's key>", so per user too
    (core.idempotency.scoped_key). The fingerprint (method, path, body) tells a retry from a different request that
    reuses the key. The response is kept as the bytes sent and their content type, so a replay is byte-identical.

    Expand-then-contract: `response_body` (the parsed JSON the previous release kept) is no longer written; a record
    it wrote is still replayed from it. The next release drops it once every such record is purged (a week).
    """

    key = models.CharField(max_length=300, unique=True)  # a client's key is at most 255 characters, plus the user
    fingerprint = models.CharField(max_length=64)
    response_status = models.PositiveSmallIntegerField(null=True)
    response_content = models.BinaryField(null=True)
    response_content_type = models.CharField(max_length=255, default="", db_default="", blank=True)
    response_body = models.JSONField(null=True)  # the previous release's; no longer written
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.key
