"""The stock value: the running moving average per item and the value ledger, one entry per move in or out."""

from __future__ import annotations

from django.db import models
from django.utils import timezone

from core.numbers import MONEY, QUANTITY
from inventory.models.ledger import StockMove
from inventory.models.master import ZERO, Item


class ItemValuation(models.Model):
    """The plant's running stock value of one item: quantity on hand everywhere, its value and moving-average cost.

    Changed only by the statement that posts a move (inventory.services.moves), after the move's level rows are
    locked: a receipt at a price moves the average to (quantity x average + received x price) / (quantity +
    received); stock leaving goes out at the average, which it leaves unchanged. `last_*` describe the latest move
    (what its `ValuationEntry` records)."""

    item = models.OneToOneField(Item, primary_key=True, on_delete=models.CASCADE, related_name="valuation")
    quantity = models.DecimalField(**QUANTITY, default=ZERO)
    value = models.DecimalField(max_digits=22, decimal_places=4, default=ZERO)
    average_cost = models.DecimalField(**MONEY, default=ZERO)
    last_unit_cost = models.DecimalField(**MONEY, default=ZERO)
    last_value_change = models.DecimalField(max_digits=22, decimal_places=4, default=ZERO)

    class Meta:
        ordering = ["item_id"]

    def __str__(self) -> str:
        return f"item {self.item_id}: {self.quantity} worth {self.value}"


class ValuationEntry(models.Model):
    """The value ledger: what one move (or the opening balance) changed of an item's stock value; only inserted.

    The value of the stock at any moment is the sum of the entries up to it (inventory.selectors.stock_valuation)."""

    item = models.ForeignKey(Item, on_delete=models.PROTECT, related_name="valuation_entries")
    move = models.OneToOneField(
        StockMove, null=True, blank=True, on_delete=models.PROTECT, related_name="valuation_entry",
        help_text="None: the opening balance written when valuation started.",
    )  # fmt: skip
    quantity = models.DecimalField(max_digits=18, decimal_places=4, help_text="Signed: + into the plant, - out.")
    unit_cost = models.DecimalField(**MONEY)
    value = models.DecimalField(max_digits=22, decimal_places=4, help_text="Signed change of the stock value.")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name_plural = "valuation entries"
        indexes = [models.Index(fields=["created_at", "item"], name="inventory_valentry_created")]

    def __str__(self) -> str:
        return f"{self.quantity:+} of item {self.item_id} at {self.unit_cost}: {self.value:+}"
