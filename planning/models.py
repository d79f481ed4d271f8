"""What planning keeps: MRP runs, each with the planned lines it computed."""

from __future__ import annotations

from django.db import models
from django.db.models import Q

from core.models import BackgroundJob


class MrpRun(BackgroundJob):
    """One material requirements run, computed by a Celery task. The planned lines are kept as they were computed,
    so a run can be left while it works and read again later, and past runs stay comparable."""

    horizon_days = models.PositiveIntegerField(
        null=True, blank=True, help_text="Only demand due within this many days counts; empty: all demand."
    )
    lines = models.JSONField(default=list, blank=True, help_text="The planned lines (planning.engine.MrpLine).")
    line_count = models.PositiveIntegerField(default=0)
    late_count = models.PositiveIntegerField(default=0)

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
