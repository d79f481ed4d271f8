"""What planning keeps: MRP runs, each with the planned lines it computed."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q


class MrpRun(models.Model):
    """One material requirements run, computed by a Celery task. The planned lines are kept as they were computed,
    so a run can be left while it works and read again later, and past runs stay comparable."""

    class Status(models.TextChoices):
        PENDING = "pending", "Waiting to start"
        RUNNING = "running", "Running"
        DONE = "done", "Done"
        FAILED = "failed", "Failed"

    horizon_days = models.PositiveIntegerField(
        null=True, blank=True, help_text="Only demand due within this many days counts; empty: all demand."
    )
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    lines = models.JSONField(default=list, blank=True, help_text="The planned lines (planning.engine.MrpLine).")
    line_count = models.PositiveIntegerField(default=0)
    late_count = models.PositiveIntegerField(default=0)
    failure = models.TextField(blank=True, help_text="Why the run failed, if it did.")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
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

    @property
    def is_finished(self) -> bool:
        return self.status in {self.Status.DONE, self.Status.FAILED}
