"""Control-plane records of the cells app: cells created on demand, and each move of a tenant between cells."""

from __future__ import annotations

from django.db import models
from django.db.models import Q

from tenants.models import Tenant


class TenantMove(models.Model):
    """One move of a tenant's schema from one cell to another (cells.move.runner).

    `step` and `step_done` are written before and after each step, so a rerun knows how far a killed move got. Until
    `state` is FLIPPED the registry still names the source cell and the move can be rolled back without loss; the
    flip commits `Tenant.cell` and `state` together.
    """

    class State(models.TextChoices):
        RUNNING = "running", "Running"
        FLIPPED = "flipped", "On the target; source kept"  # source schema kept (fenced) until its grace ends
        FINISHED = "finished", "Finished"  # source dropped
        ROLLED_BACK = "rolled_back", "Rolled back"
        DRY_RUN = "dry_run", "Dry run"

    tenant = models.ForeignKey(Tenant, null=True, on_delete=models.SET_NULL, related_name="moves")
    tenant_slug = models.CharField(max_length=30)
    schema_name = models.CharField(max_length=63)
    source = models.CharField(max_length=30)
    target = models.CharField(max_length=30)
    state = models.CharField(max_length=16, choices=State.choices, default=State.RUNNING)
    step = models.CharField(max_length=30, blank=True)
    step_done = models.BooleanField(default=False)
    # {step: seconds}, the row counts per table verified on both sides, and what the catch-up passes applied.
    timings = models.JSONField(default=dict, blank=True)
    counts = models.JSONField(default=dict, blank=True)
    changes_applied = models.BigIntegerField(default=0)
    freeze_seconds = models.FloatField(null=True, blank=True)
    error = models.TextField(blank=True)
    actor = models.CharField(max_length=150)
    dry_run = models.BooleanField(default=False)
    drop_source_after = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            # At most one move of a tenant in flight: a second `tenant_move` resumes or rolls back this one.
            models.UniqueConstraint(fields=["tenant"], condition=Q(state="running"), name="one_running_move_per_tenant")
        ]

    def __str__(self) -> str:
        return f"move {self.tenant_slug} {self.source} -> {self.target} ({self.state}, {self.step or '-'})"


class DedicatedCell(models.Model):
    """A cell created on demand for one tenant of a dedicated plan: a database of its own on the server
    `CELL_DEDICATED_SERVER` names (whose credentials it uses). Configured cells (`CELLS`) have no row here."""

    name = models.CharField(max_length=30, unique=True)
    database = models.CharField(max_length=63, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["pk"]

    def __str__(self) -> str:
        return f"{self.name} ({self.database})"
