"""Lots and serial numbers: per-lot levels, the lots each move drew from, and the genealogy of what went into what."""

from __future__ import annotations

from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import F, Q
from django.utils import timezone

from core.numbers import QUANTITY
from inventory.models.ledger import ImmutableMoveError, StockMove, StockMoveQuerySet
from inventory.models.master import ZERO, Item, Location


# --- Lots and serial numbers ----------------------------------------------------------------------------------------
# Kept beside the item-level ledger, never instead of it: `StockLevel` and `StockMove` stay the balance and the ledger
# of every item; for an item tracked by lot or serial, `LotLevel` splits each level by lot and `StockMoveLot` says
# which lots each move took or brought. Untracked items (the default) never touch these tables.
class Lot(models.Model):
    """A batch of one item, or (for an item tracked by serial) one serial-numbered unit.

    Serials are lots of quantity one, not a model of their own: levels, move allocations, genealogy and the trace
    query then work over one table, and a trace never has to union two kinds of node. `is_serial` copies the item's
    tracking when the lot is made (the services keep a serial's total on hand at one at most).
    """

    item = models.ForeignKey(Item, on_delete=models.PROTECT, related_name="lots")
    code = models.CharField(max_length=64, help_text="The lot or serial number, unique per item.")
    is_serial = models.BooleanField(default=False)
    supplier_lot = models.CharField(max_length=64, blank=True, help_text="The supplier's own lot number.")
    expiry_date = models.DateField(null=True, blank=True)
    created_by_move = models.ForeignKey(
        StockMove, null=True, blank=True, on_delete=models.PROTECT, related_name="+",
        help_text="The receipt, output or adjustment that first brought this lot in.",
    )  # fmt: skip
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["item_id", "code"]
        constraints = [
            models.UniqueConstraint(fields=["item", "code"], name="inventory_lot_item_code_uniq"),
        ]
        indexes = [models.Index(fields=["item", "expiry_date", "id"], name="inventory_lot_fefo")]

    def __str__(self) -> str:
        return self.code


class LotLevel(models.Model):
    """On hand of one lot at one location; the lots of an item at a location add up to its `StockLevel.on_hand`."""

    lot = models.ForeignKey(Lot, on_delete=models.PROTECT, related_name="levels")
    location = models.ForeignKey(Location, on_delete=models.PROTECT, related_name="lot_levels")
    on_hand = models.DecimalField(**QUANTITY, default=ZERO)

    class Meta:
        ordering = ["lot_id", "location_id"]
        constraints = [
            models.UniqueConstraint(fields=["lot", "location"], name="inventory_lotlevel_lot_location_uniq"),
            models.CheckConstraint(condition=Q(on_hand__gte=0), name="inventory_lotlevel_on_hand_gte_0"),
        ]
        indexes = [models.Index(fields=["location", "lot"], name="inventory_lotlevel_location")]

    def __str__(self) -> str:
        return f"lot {self.lot_id}@{self.location_id}: {self.on_hand}"


class StockMoveLotQuerySet(StockMoveQuerySet):
    pass


class StockMoveLot(models.Model):
    """How much of one lot a move took or brought; immutable like the move (a reversal posts mirrored rows)."""

    move = models.ForeignKey(StockMove, on_delete=models.PROTECT, related_name="lots")
    lot = models.ForeignKey(Lot, on_delete=models.PROTECT, related_name="moves")
    quantity = models.DecimalField(**QUANTITY)

    objects = StockMoveLotQuerySet.as_manager()

    class Meta:
        ordering = ["move_id", "lot_id"]
        constraints = [
            models.UniqueConstraint(fields=["move", "lot"], name="inventory_stockmovelot_move_lot_uniq"),
            models.CheckConstraint(condition=Q(quantity__gt=0), name="inventory_stockmovelot_quantity_gt_0"),
        ]
        indexes = [models.Index(fields=["lot", "move"], name="inventory_stockmovelot_lot")]

    def __str__(self) -> str:
        return f"move {self.move_id}: {self.quantity} of lot {self.lot_id}"

    def save(self, *args, **kwargs) -> None:
        if not self._state.adding:
            raise ImmutableMoveError("a move's lot allocation cannot be changed; post a reversing move instead")
        kwargs["force_insert"] = True
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ImmutableMoveError("a move's lot allocation cannot be deleted; post a reversing move instead")


class LotGenealogy(models.Model):
    """`quantity` of `consumed_lot` went into `produced_lot` on `source` (a work order): one edge of the trace graph.

    Written by the document that consumes and makes stock in one transaction; a produced lot's share of each
    consumed lot is pro rata to the quantity of it that was made."""

    consumed_lot = models.ForeignKey(Lot, on_delete=models.PROTECT, related_name="used_in")
    produced_lot = models.ForeignKey(Lot, on_delete=models.PROTECT, related_name="made_from")
    quantity = models.DecimalField(**QUANTITY)
    source_type = models.ForeignKey(ContentType, on_delete=models.PROTECT, related_name="+")
    source_id = models.PositiveBigIntegerField()
    source = GenericForeignKey("source_type", "source_id")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["id"]
        verbose_name_plural = "lot genealogy"
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gt=0), name="inventory_lotgenealogy_quantity_gt_0"),
            models.CheckConstraint(
                condition=~Q(consumed_lot=F("produced_lot")), name="inventory_lotgenealogy_not_own_parent"
            ),
        ]
        indexes = [
            models.Index(fields=["consumed_lot", "produced_lot"], name="inventory_genealogy_forward"),
            models.Index(fields=["produced_lot", "consumed_lot"], name="inventory_genealogy_backward"),
        ]

    def __str__(self) -> str:
        return f"{self.quantity} of lot {self.consumed_lot_id} into lot {self.produced_lot_id}"
