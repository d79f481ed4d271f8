"""Items, locations and the stock ledger of one tenant.

`StockMove` is the ledger: rows are only ever inserted (the ORM refuses updates and deletes, and a trigger in the
database refuses them too). `StockLevel` is the running balance per (item, location), changed only by the services
in the same transaction as the move that explains the change.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.contrib.postgres.indexes import GinIndex
from django.core.validators import MaxValueValidator
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Lower
from django.utils import timezone

from core.models import BackgroundJob
from core.numbers import MONEY, QUANTITY, QUANTITY_PLACES
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


class ItemImport(BackgroundJob):
    """A CSV import of items, run by a Celery task; its progress and per-line errors are kept here."""

    file_name = models.CharField(max_length=255, blank=True)
    content = models.TextField(help_text="The uploaded CSV text.")
    total_rows = models.PositiveIntegerField(default=0)
    processed_rows = models.PositiveIntegerField(default=0)
    created_count = models.PositiveIntegerField(default=0)
    updated_count = models.PositiveIntegerField(default=0)
    errors = models.JSONField(default=list, blank=True, help_text="[{line, sku, reason}] for each refused row.")

    class Meta(BackgroundJob.Meta):
        pass

    def __str__(self) -> str:
        return f"import #{self.pk} {self.file_name} ({self.status})"

    @property
    def percent(self) -> int:
        return 100 if not self.total_rows else int(100 * self.processed_rows / self.total_rows)


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
