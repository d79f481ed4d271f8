"""Returns: a delivery's goods going back, each a document of its own linked to the delivery."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from core.numbers import QUANTITY
from inventory.models import Location, StockMove
from orders.models.kinds import Receipt, ReceiptLine, Shipment, ShipmentLine


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
