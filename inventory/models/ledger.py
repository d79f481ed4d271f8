"""The stock ledger (`StockMove`, insert-only), the running balances it explains (`StockLevel`) and the reservation
history."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import F, Q
from django.utils import timezone

from core.numbers import QUANTITY
from inventory.models.master import ZERO, Item, Location


class StockLevel(models.Model):
    """On hand and reserved quantity of one item at one location. Available = on hand - reserved."""

    item = models.ForeignKey(Item, on_delete=models.PROTECT, related_name="levels")
    location = models.ForeignKey(Location, on_delete=models.PROTECT, related_name="levels")
    on_hand = models.DecimalField(**QUANTITY, default=ZERO)
    reserved = models.DecimalField(**QUANTITY, default=ZERO)

    class Meta:
        ordering = ["item_id", "location_id"]
        constraints = [
            models.UniqueConstraint(fields=["item", "location"], name="inventory_stocklevel_item_location_uniq"),
            models.CheckConstraint(condition=Q(on_hand__gte=0), name="inventory_stocklevel_on_hand_gte_0"),
            models.CheckConstraint(
                condition=Q(reserved__gte=0, reserved__lte=F("on_hand")),
                name="inventory_stocklevel_reserved_within_on_hand",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.item_id}@{self.location_id}: {self.on_hand}"

    @property
    def available(self) -> Decimal:
        return self.on_hand - self.reserved


class ImmutableMoveError(Exception):
    """Raised when code tries to change or remove a stock move; post a reversing move instead."""


class StockMoveQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise ImmutableMoveError("stock moves cannot be changed; post a reversing move instead")

    def delete(self):
        raise ImmutableMoveError("stock moves cannot be deleted; post a reversing move instead")

    _raw_delete = delete


class StockMove(models.Model):
    """One movement of stock: out of `from_location` (None: from outside), into `to_location` (None: to outside)."""

    class Reason(models.TextChoices):
        RECEIPT = "receipt", "Receipt"
        ISSUE = "issue", "Issue"
        TRANSFER = "transfer", "Transfer"
        ADJUSTMENT = "adjustment", "Adjustment"
        PRODUCTION_CONSUMPTION = "production_consumption", "Production consumption"
        PRODUCTION_OUTPUT = "production_output", "Production output"
        SHIPMENT = "shipment", "Shipment"

    item = models.ForeignKey(Item, on_delete=models.PROTECT, related_name="moves")
    quantity = models.DecimalField(**QUANTITY)
    from_location = models.ForeignKey(
        Location, null=True, blank=True, on_delete=models.PROTECT, related_name="moves_out"
    )
    to_location = models.ForeignKey(Location, null=True, blank=True, on_delete=models.PROTECT, related_name="moves_in")
    reason = models.CharField(max_length=32, choices=Reason.choices)
    reference = models.CharField(max_length=200, blank=True, help_text="Free text, e.g. a delivery note number.")
    source_type = models.ForeignKey(ContentType, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    source_id = models.PositiveBigIntegerField(null=True, blank=True)
    source = GenericForeignKey("source_type", "source_id")
    reverses = models.OneToOneField("self", null=True, blank=True, on_delete=models.PROTECT, related_name="reversed_by")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="stock_moves"
    )
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    objects = StockMoveQuerySet.as_manager()

    # Not a column: the unit cost the posting service valued this move at (its `ValuationEntry` keeps it); None for
    # a move read from the database or one that changed no value (a transfer).
    unit_cost: Decimal | None = None

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["item", "-created_at"], name="inventory_move_item_created"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gt=0), name="inventory_stockmove_quantity_gt_0"),
            models.CheckConstraint(
                condition=Q(from_location__isnull=False) | Q(to_location__isnull=False),
                name="inventory_stockmove_has_a_location",
            ),
            models.CheckConstraint(
                condition=~Q(from_location=F("to_location")), name="inventory_stockmove_locations_differ"
            ),
            models.CheckConstraint(
                condition=Q(source_type__isnull=True, source_id__isnull=True)
                | Q(source_type__isnull=False, source_id__isnull=False),
                name="inventory_stockmove_source_complete",
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.reason} {self.quantity} of item {self.item_id}"

    def save(self, *args, **kwargs) -> None:
        if not self._state.adding:
            raise ImmutableMoveError(f"stock move #{self.pk} cannot be changed; post a reversing move instead")
        kwargs["force_insert"] = True
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ImmutableMoveError(f"stock move #{self.pk} cannot be deleted; post a reversing move instead")


class ReservationEntry(models.Model):
    """Audit row of one reserve (+) or unreserve (-) of stock; the balance lives in `StockLevel.reserved`."""

    item = models.ForeignKey(Item, on_delete=models.PROTECT, related_name="reservation_entries")
    location = models.ForeignKey(Location, on_delete=models.PROTECT, related_name="reservation_entries")
    quantity = models.DecimalField(**QUANTITY, help_text="Positive: reserved; negative: released.")
    reference = models.CharField(max_length=200, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name_plural = "reservation entries"

    def __str__(self) -> str:
        return f"{self.quantity:+} of item {self.item_id} at {self.location_id}"
