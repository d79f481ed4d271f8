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

from core.numbers import MONEY, QUANTITY
from core.validators import validate_plan_date
from inventory.models import Item, Location

ZERO = Decimal("0")


class Bom(models.Model):
    """One version of the recipe of an item; at most one version per item is active (the one production uses)."""

    item = models.ForeignKey(Item, on_delete=models.PROTECT, related_name="boms")
    version = models.CharField(max_length=32, default="1", help_text="Version label, e.g. 1, 2024-A.")
    is_active = models.BooleanField("active", default=True)
    note = models.CharField(max_length=200, blank=True)

    class CostBasis(models.TextChoices):
        PER_UNIT = "per_unit", "Per unit"
        PER_BATCH = "per_batch", "Per batch"

    labour_cost = models.DecimalField(**MONEY, default=ZERO, help_text="Labour per unit, or per batch.")
    overhead_cost = models.DecimalField(**MONEY, default=ZERO, help_text="Overhead per unit, or per batch.")
    cost_basis = models.CharField(max_length=16, choices=CostBasis.choices, default=CostBasis.PER_UNIT)
    batch_size = models.DecimalField(
        **QUANTITY, default=Decimal(1), help_text="Units made per batch (used when the costs are per batch)."
    )
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
            models.CheckConstraint(
                condition=Q(labour_cost__gte=0, overhead_cost__gte=0), name="production_bom_costs_gte_0"
            ),
            models.CheckConstraint(condition=Q(batch_size__gt=0), name="production_bom_batch_size_gt_0"),
        ]

    def __str__(self) -> str:
        return f"BOM {self.item_id} v{self.version}"

    def conversion_for(self, quantity: Decimal) -> tuple[Decimal, Decimal]:
        """(labour, overhead) of making `quantity` units: per unit, or per started batch (a part batch costs a
        whole one)."""
        if self.cost_basis == self.CostBasis.PER_BATCH:
            batches = (quantity / self.batch_size).to_integral_value(rounding=ROUND_UP)
            return self.labour_cost * batches, self.overhead_cost * batches
        return self.labour_cost * quantity, self.overhead_cost * quantity

    @property
    def unit_conversion(self) -> tuple[Decimal, Decimal]:
        """(labour, overhead) per unit, as the standard cost counts them: a batch's cost spread over its size."""
        if self.cost_basis == self.CostBasis.PER_BATCH:
            return self.labour_cost / self.batch_size, self.overhead_cost / self.batch_size
        return self.labour_cost, self.overhead_cost


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
    # Costs of what was completed so far, added at each completion: components at their moving-average cost when
    # consumed, labour and overhead from the BOM; `standard_cost` is the completed quantity at the item's standard.
    material_cost = models.DecimalField(**MONEY, default=ZERO)
    labour_cost = models.DecimalField(**MONEY, default=ZERO)
    overhead_cost = models.DecimalField(**MONEY, default=ZERO)
    standard_cost = models.DecimalField(**MONEY, default=ZERO)

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

    @property
    def actual_cost(self) -> Decimal:
        return self.material_cost + self.labour_cost + self.overhead_cost

    @property
    def cost_variance(self) -> Decimal:
        """Actual minus standard: positive when making it cost more than planned."""
        return self.actual_cost - self.standard_cost


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


class CostRollup(models.Model):
    """One run of the BOM cost roll-up: every item with an active BOM (or one item's tree) costed bottom-up, its
    standard cost set to the result in the same transaction. The lines keep what each cost was and became."""

    item = models.ForeignKey(
        Item, null=True, blank=True, on_delete=models.PROTECT, related_name="+",
        help_text="The item whose tree was rolled up; empty: every item with an active BOM.",
    )  # fmt: skip
    item_count = models.PositiveIntegerField(default=0)
    changed_count = models.PositiveIntegerField(default=0)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"cost roll-up #{self.pk}"


class CostRollupLine(models.Model):
    """The cost of one unit of an item in a roll-up: material (components with scrap) + labour + overhead."""

    rollup = models.ForeignKey(CostRollup, on_delete=models.CASCADE, related_name="lines")
    item = models.ForeignKey(Item, on_delete=models.PROTECT, related_name="+")
    level = models.PositiveIntegerField(help_text="1: made of purchased items only; n: made of level n-1 at most.")
    old_cost = models.DecimalField(**MONEY)
    material_cost = models.DecimalField(**MONEY)
    labour_cost = models.DecimalField(**MONEY)
    overhead_cost = models.DecimalField(**MONEY)
    new_cost = models.DecimalField(**MONEY)

    class Meta:
        ordering = ["rollup_id", "level", "item_id"]
        constraints = [models.UniqueConstraint(fields=["rollup", "item"], name="production_rollupline_item_uniq")]

    def __str__(self) -> str:
        return f"{self.rollup_id}: item {self.item_id} {self.old_cost} -> {self.new_cost}"

    @property
    def change(self) -> Decimal:
        return self.new_cost - self.old_cost

    @property
    def changed(self) -> bool:
        return self.new_cost != self.old_cost


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
        COST_ROLLUP = "cost_rollup", "Cost roll-up run"

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
