"""Bills of materials, work orders and the bookkeeping of what a work order reserved and consumed.

A `Bom` says what one unit of an item is made of; a component that has an active BOM of its own is a sub-assembly,
so BOMs form a tree (never a cycle: the services refuse one). A `WorkOrder` makes a quantity of an item from the
direct components of its BOM at one location: release reserves them, completion consumes them and receives the
finished goods through inventory's services (never by writing stock rows here).
"""

from __future__ import annotations

from decimal import ROUND_UP, Decimal

from django.conf import settings
from django.db import models
from django.db.models import F, Q

from core.numbers import QUANTITY
from core.validators import validate_plan_date
from inventory.models import Item, Location

ZERO = Decimal("0")


class Bom(models.Model):
    """One version of the recipe of an item; at most one version per item is active (the one production uses)."""

    item = models.ForeignKey(Item, on_delete=models.PROTECT, related_name="boms")
    version = models.CharField(max_length=32, default="1", help_text="Version label, e.g. 1, 2024-A.")
    is_active = models.BooleanField("active", default=True)
    note = models.CharField(max_length=200, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["item_id", "version"]
        verbose_name = "bill of materials"
        verbose_name_plural = "bills of materials"
        constraints = [
            models.UniqueConstraint(
                fields=["item"], condition=Q(is_active=True), name="production_bom_one_active_per_item"
            ),
            models.UniqueConstraint(fields=["item", "version"], name="production_bom_item_version_uniq"),
        ]

    def __str__(self) -> str:
        return f"BOM {self.item_id} v{self.version}"


class BomLine(models.Model):
    """`quantity` of `component` per unit of the BOM's item, plus `scrap_percent` lost in making it.

    The quantity needed for N units is N x quantity x (1 + scrap_percent / 100).
    """

    bom = models.ForeignKey(Bom, on_delete=models.CASCADE, related_name="lines")
    position = models.PositiveIntegerField(default=0)
    component = models.ForeignKey(Item, on_delete=models.PROTECT, related_name="bom_lines")
    quantity = models.DecimalField(**QUANTITY)
    scrap_percent = models.DecimalField(max_digits=5, decimal_places=2, default=ZERO)
    note = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["bom_id", "position", "id"]
        indexes = [models.Index(fields=["component"], name="production_bomline_component")]
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gt=0), name="production_bomline_quantity_gt_0"),
            models.CheckConstraint(
                condition=Q(scrap_percent__gte=0, scrap_percent__lte=100), name="production_bomline_scrap_0_100"
            ),
            models.UniqueConstraint(fields=["bom", "component"], name="production_bomline_bom_component_uniq"),
        ]

    def __str__(self) -> str:
        return f"{self.quantity} x item {self.component_id}"

    @property
    def factor(self) -> Decimal:
        """Quantity per unit of the parent, scrap included."""
        return self.quantity * (1 + self.scrap_percent / 100)

    def required_for(self, work_order_quantity: Decimal) -> Decimal:
        """Quantity of this component for a work order, scrap included, rounded up to what its unit counts
        (2.5 screws needed: 3 are taken). Load `component__uom` with the lines."""
        places = Decimal(1).scaleb(-self.component.uom.decimals)
        return (work_order_quantity * self.factor).quantize(places, rounding=ROUND_UP)


class WorkOrder(models.Model):
    class State(models.TextChoices):
        DRAFT = "draft", "Draft"
        RELEASED = "released", "Released"
        IN_PROGRESS = "in_progress", "In progress"
        DONE = "done", "Done"
        CANCELLED = "cancelled", "Cancelled"

    OPEN_STATES = (State.DRAFT, State.RELEASED, State.IN_PROGRESS)

    number = models.CharField(max_length=32, unique=True)
    item = models.ForeignKey(Item, on_delete=models.PROTECT, related_name="work_orders")
    bom = models.ForeignKey(
        Bom, null=True, blank=True, on_delete=models.PROTECT, related_name="work_orders", help_text="Set on release."
    )
    quantity = models.DecimalField(**QUANTITY)
    completed_quantity = models.DecimalField(**QUANTITY, default=ZERO)
    due_date = models.DateField(validators=[validate_plan_date])
    state = models.CharField(max_length=16, choices=State.choices, default=State.DRAFT)
    location = models.ForeignKey(
        Location,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="work_orders",
        help_text="Where components are taken from and finished goods put; set on release.",
    )
    note = models.CharField(max_length=200, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    released_at = models.DateTimeField(null=True, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["state", "due_date"], name="production_wo_state_due")]
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gt=0), name="production_wo_quantity_gt_0"),
            models.CheckConstraint(
                condition=Q(completed_quantity__gte=0, completed_quantity__lte=F("quantity")),
                name="production_wo_completed_within_quantity",
            ),
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def remaining_quantity(self) -> Decimal:
        return self.quantity - self.completed_quantity

    @property
    def is_open(self) -> bool:
        return self.state in self.OPEN_STATES


class WorkOrderComponent(models.Model):
    """What a released work order needs of one component, how much of it is still reserved and how much it used."""

    work_order = models.ForeignKey(WorkOrder, on_delete=models.CASCADE, related_name="components")
    item = models.ForeignKey(Item, on_delete=models.PROTECT, related_name="+")
    required_quantity = models.DecimalField(**QUANTITY)
    reserved_quantity = models.DecimalField(**QUANTITY, default=ZERO)
    consumed_quantity = models.DecimalField(**QUANTITY, default=ZERO)

    class Meta:
        ordering = ["work_order_id", "item_id"]
        constraints = [
            models.UniqueConstraint(fields=["work_order", "item"], name="production_woc_wo_item_uniq"),
            models.CheckConstraint(condition=Q(required_quantity__gt=0), name="production_woc_required_gt_0"),
            models.CheckConstraint(
                condition=Q(reserved_quantity__gte=0, consumed_quantity__gte=0), name="production_woc_nonnegative"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.work_order_id}: item {self.item_id} {self.consumed_quantity}/{self.required_quantity}"


class ProductionEvent(models.Model):
    """Audit row of every change made by a production service: who did what to which BOM or work order."""

    class Action(models.TextChoices):
        BOM_CREATED = "bom_created", "BOM created"
        BOM_UPDATED = "bom_updated", "BOM updated"
        BOM_DELETED = "bom_deleted", "BOM deleted"
        WO_CREATED = "wo_created", "Work order created"
        WO_UPDATED = "wo_updated", "Work order updated"
        WO_DELETED = "wo_deleted", "Work order deleted"
        WO_RELEASED = "wo_released", "Work order released"
        WO_STARTED = "wo_started", "Work order started"
        WO_COMPLETED = "wo_completed", "Work order completed (part or all)"
        WO_CANCELLED = "wo_cancelled", "Work order cancelled"
        WO_UNCOMPLETED = "wo_uncompleted", "Work order un-completed"

    action = models.CharField(max_length=16, choices=Action.choices)
    bom_id = models.BigIntegerField(null=True, blank=True, help_text="Kept after the BOM is deleted.")
    work_order_id = models.BigIntegerField(null=True, blank=True, help_text="Kept after the work order is deleted.")
    detail = models.JSONField(default=dict, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["work_order_id"], name="production_event_wo"),
            models.Index(fields=["bom_id"], name="production_event_bom"),
        ]

    def __str__(self) -> str:
        return f"{self.action} bom={self.bom_id} wo={self.work_order_id}"
