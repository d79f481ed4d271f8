"""The worker's side of an MRP run (called by `planning.tasks.run_mrp`): compute it, or record why it failed."""

from __future__ import annotations

import json
from dataclasses import asdict

from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.utils import timezone

from planning import engine
from planning.models import MrpRun


def mrp_run_execute(*, run_id: int) -> MrpRun:
    """Compute a queued run with today's demand, stock and supply, and keep its planned lines on the run.

    The run is marked running (committed, so its page says so) before the work starts; a redelivered task does not
    compute a finished run again, and one whose worker died mid-way starts over."""
    with transaction.atomic():
        run = MrpRun.objects.select_for_update().get(pk=run_id)
        if run.is_finished:
            return run
        run.status, run.started_at = MrpRun.Status.RUNNING, timezone.now()
        run.save(update_fields=["status", "started_at"])

    lines = engine.mrp_report(horizon_days=run.horizon_days)
    run.lines = [json.loads(json.dumps(asdict(line), cls=DjangoJSONEncoder)) for line in lines]
    run.line_count, run.late_count = len(lines), sum(1 for line in lines if line.late)
    run.status, run.finished_at = MrpRun.Status.DONE, timezone.now()
    run.save(update_fields=["lines", "line_count", "late_count", "status", "finished_at"])
    return run


def mrp_run_fail(*, run_id: int, reason: str) -> MrpRun:
    """Record that a run could not be computed (its task gave up), so its page stops waiting and says why."""
    with transaction.atomic():
        run = MrpRun.objects.select_for_update().get(pk=run_id)
        if not run.is_finished:
            run.status, run.failure, run.finished_at = MrpRun.Status.FAILED, reason[:1000], timezone.now()
            run.save(update_fields=["status", "failure", "finished_at"])
    return run
