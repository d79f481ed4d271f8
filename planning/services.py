"""Writes of planning: queue an MRP run. The worker's side (compute it, or record that it failed) is in
`planning.runs`, which the task calls; this module sends the task, so the two never import each other."""

from __future__ import annotations

from django.contrib.auth.models import User as AuthUser
from django.db import transaction

from core.errors import DomainError
from core.users import acting_user
from planning.models import MrpRun
from planning.tasks import run_mrp

MAX_HORIZON_DAYS = 730


class InvalidMrpRun(DomainError):
    pass


def mrp_run_create(*, user: AuthUser | None, horizon_days: int | None = None) -> MrpRun:
    """Queue an MRP run, computed by a Celery task once this transaction commits. The horizon, when given, is a
    whole number of days from 1 to 730: only demand due within it counts."""
    if horizon_days is not None and (
        isinstance(horizon_days, bool) or not isinstance(horizon_days, int) or not 1 <= horizon_days <= MAX_HORIZON_DAYS
    ):
        raise InvalidMrpRun(
            f"the horizon must be a whole number of days from 1 to {MAX_HORIZON_DAYS}, or empty for all demand",
            field="horizon_days",
        )
    with transaction.atomic():
        run = MrpRun.objects.create(horizon_days=horizon_days, created_by=acting_user(user))
        transaction.on_commit(lambda: run_mrp.delay(run.pk))
    return run
