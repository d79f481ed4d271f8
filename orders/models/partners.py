"""Customers and suppliers (one `Partner` may be both), and what a supplier charges for an item."""

from __future__ import annotations

from django.contrib.postgres.indexes import GinIndex
from django.db import models
from django.db.models import Q

from core.numbers import MONEY, QUANTITY
from core.validators import validate_lead_time
from inventory.models import Item


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
