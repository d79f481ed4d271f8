"""What planning keeps: MRP runs, each with the time-phased plan it computed and its planned orders."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q

from core.models import BackgroundJob
from core.numbers import QUANTITY


class MrpRun(BackgroundJob):
    """One material requirements run, computed by a Celery task. The planned lines are kept as they were computed,
    so a run can be left while it works and read again later, and past runs stay comparable."""

    horizon_days = models.PositiveIntegerField(
        null=True, blank=True, help_text="Only demand due within this many days counts; empty: all demand."
    )
    lines = models.JSONField(default=list, blank=True, help_text="The planned lines (planning.engine.MrpLine).")
    line_count = models.PositiveIntegerField(default=0)
    late_count = models.PositiveIntegerField(default=0)
    planned_for = models.DateField(null=True, blank=True, help_text="The day the plan starts from (its today).")
    grid = models.JSONField(
        default=list, blank=True, help_text="Per item, its daily buckets (planning.runs.grid_of: the time-phased plan)."
    )
    exceptions = models.JSONField(default=list, blank=True, help_text="Messages: expedite, reschedule, cancel.")
    receipts = models.JSONField(
        default=list, blank=True, help_text="Open purchase and work orders, each with the demands it is pegged to."
    )
    exception_count = models.PositiveIntegerField(default=0)
    inputs = models.JSONField(
        default=dict, blank=True, help_text="What the run read: demand and supply lines, firm planned orders, items."
    )
    previous_run = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
        help_text="The last run finished before this one, which `comparison` compares it with.",
    )  # fmt: skip
    comparison = models.JSONField(
        default=dict, blank=True, help_text="Against the previous run: per item planned quantity, new and removed "
        "planned orders, exception messages added and gone (planning.compare).",
    )  # fmt: skip

    class Meta(BackgroundJob.Meta):
        db_table = "production_mrprun"  # the table it had in production, kept when the model moved here
        ordering = ["-created_at", "-id"]
        verbose_name = "MRP run"
        constraints = [
            models.CheckConstraint(
                condition=Q(horizon_days__isnull=True) | Q(horizon_days__gte=1), name="production_mrprun_horizon_gte_1"
            ),
        ]

    def __str__(self) -> str:
        return f"MRP run #{self.pk} ({self.status})"


class PlannedOrder(models.Model):
    """An order the run proposes: make (start by `release_date`) or buy (order by it), to arrive by `due_date`.
    Kept with the demands it covers (`pegs`).

    Identity across runs: a *planned* order belongs to the run that proposed it and is only current while that run
    is the latest; the next run proposes afresh. A *firm* order is the planner's: it keeps its row (and its id) for
    good, whatever runs follow, and every later run reads it as a scheduled receipt on its due date (a source
    registered in `planning.apps`), so it is not planned again. A *converted* order points at the purchase or work
    order made from it, which is then the supply."""

    class Kind(models.TextChoices):
        MAKE = "make", "Make"
        BUY = "buy", "Buy"

    class Status(models.TextChoices):
        PLANNED = "planned", "Planned"
        FIRM = "firm", "Firm"
        CONVERTED = "converted", "Converted"

    run = models.ForeignKey(
        MrpRun, null=True, blank=True, on_delete=models.SET_NULL, related_name="planned_orders",
        help_text="The run that proposed it (a firm order outlives it).",
    )  # fmt: skip
    status = models.CharField(max_length=9, choices=Status.choices, default=Status.PLANNED)
    firmed_at = models.DateTimeField(null=True, blank=True)
    firmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    converted_at = models.DateTimeField(null=True, blank=True)
    purchase_order = models.ForeignKey(
        "orders.PurchaseOrder", null=True, blank=True, on_delete=models.SET_NULL, related_name="planned_orders"
    )
    work_order = models.ForeignKey(
        "production.WorkOrder", null=True, blank=True, on_delete=models.SET_NULL, related_name="planned_orders"
    )
    number = models.PositiveIntegerField(help_text="Its number within the run; dependent demand pegs to it.")
    item = models.ForeignKey("inventory.Item", on_delete=models.CASCADE, related_name="planned_orders")
    kind = models.CharField(max_length=4, choices=Kind.choices)
    quantity = models.DecimalField(**QUANTITY)
    net_quantity = models.DecimalField(**QUANTITY, help_text="What was short; lot sizing may order more.")
    release_date = models.DateField()
    due_date = models.DateField()
    pegs = models.JSONField(default=list, blank=True, help_text="The demands it covers, up to the top level.")

    class Meta:
        ordering = ["run_id", "number"]
        constraints = [
            models.UniqueConstraint(fields=["run", "number"], name="planning_plannedorder_run_number_uniq"),
            models.CheckConstraint(condition=Q(quantity__gt=0), name="planning_plannedorder_quantity_gt_0"),
            models.CheckConstraint(
                condition=Q(release_date__lte=F("due_date")), name="planning_plannedorder_release_lte_due"
            ),
        ]
        indexes = [models.Index(fields=["status"], name="planning_po_status_idx")]

    def __str__(self) -> str:
        return self.label

    @property
    def label(self) -> str:
        """The name a person reads, the same in every run: PLN-000042."""
        return f"PLN-{self.pk:06d}" if self.pk else f"planned order {self.number}"

    @property
    def document(self):
        return self.purchase_order or self.work_order
