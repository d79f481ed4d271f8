"""The order engine's documents: one abstract base per role (order, line, delivery, delivery line) and one factory
per role that declares a kind's fields once, with that kind's own names, so each table and column stays as it is."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.contrib.postgres.indexes import GinIndex
from django.db import models
from django.db.models import Q
from django.utils import timezone

from core.numbers import MONEY, QUANTITY
from core.validators import validate_plan_date
from inventory.models import Item, StockMove, UnitOfMeasure
from orders.models.partners import Partner

ZERO = Decimal("0")


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
        return self.number_of(self.pk) if self.pk else f"{self.NUMBER_PREFIX}-new"

    @classmethod
    def number_of(cls, pk: int) -> str:
        """The number of the order with id `pk` (a list read as values has the id, not the order)."""
        return f"{cls.NUMBER_PREFIX}-{pk:05d}"


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
