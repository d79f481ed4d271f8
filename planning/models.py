"""What planning keeps: MRP runs, each with the time-phased plan it computed and its planned orders."""

from __future__ import annotations

from django.db import models
from django.db.models import Q

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
    Kept per run, with the demands it covers (`pegs`), so a later step can firm it or convert it into a work or
    purchase order."""

    class Kind(models.TextChoices):
        MAKE = "make", "Make"
        BUY = "buy", "Buy"

    run = models.ForeignKey(MrpRun, on_delete=models.CASCADE, related_name="planned_orders")
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
        ]

    def __str__(self) -> str:
        return f"Planned order {self.number} of run #{self.run_id}"
