"""Master data: units of measure, items (with their planning and tracking settings and unit conversions), locations."""

from __future__ import annotations

from decimal import Decimal

from django.contrib.postgres.indexes import GinIndex
from django.core.validators import MaxValueValidator
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Lower

from core.numbers import QUANTITY, QUANTITY_PLACES
from core.validators import MAX_LEAD_TIME_DAYS, validate_lead_time

ZERO = Decimal("0")


class UnitOfMeasure(models.Model):
    """A unit quantities are counted in; `decimals` says how finely (pieces: 0, so 0.5 pcs is refused)."""

    code = models.CharField(max_length=16, unique=True, help_text="Short code, e.g. pcs, kg, m.")
    name = models.CharField(max_length=64)
    decimals = models.PositiveSmallIntegerField(
        "decimal places",
        default=QUANTITY_PLACES,
        validators=[MaxValueValidator(QUANTITY_PLACES)],
        help_text="Decimal places a quantity in this unit may have: 0 for pieces (0.5 pcs is refused).",
    )

    class Meta:
        ordering = ["code"]
        verbose_name = "unit of measure"
        verbose_name_plural = "units of measure"
        constraints = [
            models.CheckConstraint(
                condition=Q(decimals__gte=0, decimals__lte=QUANTITY_PLACES), name="inventory_uom_decimals_range"
            ),
        ]

    def __str__(self) -> str:
        return self.code


class Item(models.Model):
    class Kind(models.TextChoices):
        RAW_MATERIAL = "raw_material", "Raw material"
        COMPONENT = "component", "Component"
        FINISHED_GOOD = "finished_good", "Finished good"
        CONSUMABLE = "consumable", "Consumable"

    class Tracking(models.TextChoices):
        NONE = "none", "Not tracked"
        LOT = "lot", "By lot"
        SERIAL = "serial", "By serial number"

    class Procurement(models.TextChoices):
        MAKE = "make", "Make"
        BUY = "buy", "Buy"

    class LotSizing(models.TextChoices):
        LOT_FOR_LOT = "lot_for_lot", "Lot for lot"
        FIXED = "fixed", "Fixed quantity"
        MIN_MULTIPLE = "min_multiple", "Minimum and multiple"
        PERIODS = "periods", "Periods of supply"

    sku = models.CharField("SKU", max_length=64, unique=True)
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    uom = models.ForeignKey(UnitOfMeasure, on_delete=models.PROTECT, related_name="items", verbose_name="unit")
    kind = models.CharField(max_length=16, choices=Kind.choices, default=Kind.COMPONENT)
    reorder_point = models.DecimalField(**QUANTITY, default=ZERO)
    reorder_quantity = models.DecimalField(**QUANTITY, default=ZERO)
    lead_time_days = models.PositiveIntegerField(default=0, validators=[validate_lead_time])
    standard_cost = models.DecimalField(max_digits=18, decimal_places=4, default=ZERO)
    # Planning (MRP): how the item is replenished, in what lots, with what buffer; the low-level code is the deepest
    # level at which the item appears in any active BOM (0: top), kept by production's BOM services.
    procurement = models.CharField(
        max_length=4, choices=Procurement.choices, default=Procurement.BUY, help_text="Make in-house or buy."
    )
    lot_sizing = models.CharField(max_length=16, choices=LotSizing.choices, default=LotSizing.LOT_FOR_LOT)
    lot_quantity = models.DecimalField(**QUANTITY, default=ZERO, help_text="Fixed quantity: every order is this size.")
    lot_minimum = models.DecimalField(**QUANTITY, default=ZERO, help_text="Minimum and multiple: the smallest order.")
    lot_multiple = models.DecimalField(**QUANTITY, default=ZERO, help_text="Minimum and multiple: orders step by this.")
    lot_period_days = models.PositiveIntegerField(
        default=0,
        validators=[MaxValueValidator(MAX_LEAD_TIME_DAYS)],
        help_text="Periods of supply: each order covers the net requirements of this many days.",
    )
    safety_stock = models.DecimalField(**QUANTITY, default=ZERO)
    low_level_code = models.PositiveSmallIntegerField(default=0, editable=False)
    is_active = models.BooleanField("active", default=True)
    # The item's custom-field values, {key: value}, checked against the tenant's definitions (customfields app) by
    # the services; GIN-indexed (jsonb_path_ops) for `attributes @> {...}` filters. API: `custom_fields`.
    attributes = models.JSONField(
        "custom fields", default=dict, blank=True, help_text='Custom-field values by key, e.g. {"colour": "red"}.'
    )
    # Lots and serials (Lot, LotLevel, StockMoveLot below); "none" keeps every stock path as it was.
    tracking = models.CharField(
        max_length=8,
        choices=Tracking.choices,
        default=Tracking.NONE,
        help_text="By lot: receipts name a lot (batch); by serial number: each unit has its own number.",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["sku"]
        indexes = [GinIndex(fields=["attributes"], opclasses=["jsonb_path_ops"], name="inventory_item_attrs_gin")]
        constraints = [
            models.CheckConstraint(condition=Q(reorder_point__gte=0), name="inventory_item_reorder_point_gte_0"),
            models.CheckConstraint(condition=Q(reorder_quantity__gte=0), name="inventory_item_reorder_qty_gte_0"),
            models.CheckConstraint(condition=Q(standard_cost__gte=0), name="inventory_item_standard_cost_gte_0"),
            models.CheckConstraint(
                condition=Q(lot_quantity__gte=0, lot_minimum__gte=0, lot_multiple__gte=0, safety_stock__gte=0),
                name="inventory_item_planning_quantities_gte_0",
            ),
            models.UniqueConstraint(
                Lower("sku"),
                name="inventory_item_sku_unique_ci",
                violation_error_message="An item with this SKU already exists (SKUs are compared ignoring case).",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.sku} {self.name}"


CONVERSION_FACTOR = {"max_digits": 24, "decimal_places": 10}
"""Settings of a conversion factor: exact decimals (1 lb = 0.45359237 kg), up to 14 digits before the point."""


class ItemUnitConversion(models.Model):
    """Another unit an item is bought or sold in: 1 `uom` = `factor` x the item's stock unit (a box of 12: 12 pcs).

    Order lines may use it; the ledger stays in the stock unit (`inventory.services.units`).
    """

    item = models.ForeignKey(Item, on_delete=models.CASCADE, related_name="conversions")
    uom = models.ForeignKey(UnitOfMeasure, on_delete=models.PROTECT, related_name="conversions", verbose_name="unit")
    factor = models.DecimalField(
        **CONVERSION_FACTOR, help_text="How many of the item's stock unit one of this unit is, e.g. 12 (pcs a box)."
    )

    class Meta:
        ordering = ["item_id", "uom_id"]
        verbose_name = "unit conversion"
        constraints = [
            models.CheckConstraint(condition=Q(factor__gt=0), name="inventory_itemunitconversion_factor_gt_0"),
            models.UniqueConstraint(fields=["item", "uom"], name="inventory_itemunitconversion_item_uom_uniq"),
        ]

    def __str__(self) -> str:
        return f"1 {self.uom_id} = {self.factor} of item {self.item_id}"

    @property
    def factor_text(self) -> str:
        """The factor as written, without trailing zeros or an exponent: 12, 0.02, 1200."""
        return f"{self.factor.normalize():f}"


class Location(models.Model):
    """A warehouse, or a bin (area, shelf) inside one: a tree through `parent`."""

    class Kind(models.TextChoices):
        WAREHOUSE = "warehouse", "Warehouse"
        BIN = "bin", "Bin"

    code = models.CharField(max_length=32, unique=True)
    name = models.CharField(max_length=200)
    kind = models.CharField(max_length=16, choices=Kind.choices, default=Kind.BIN)
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="children")
    is_active = models.BooleanField("active", default=True)
    is_default_receiving = models.BooleanField("default receiving location", default=False)

    class Meta:
        ordering = ["code"]
        constraints = [
            models.UniqueConstraint(
                fields=["is_default_receiving"],
                condition=Q(is_default_receiving=True),
                name="inventory_location_one_default_receiving",
            ),
            models.CheckConstraint(condition=~Q(parent=F("pk")), name="inventory_location_not_own_parent"),
        ]

    def __str__(self) -> str:
        return self.code
