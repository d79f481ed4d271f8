"""Periodic fleet tasks run by Celery beat (settings.CELERY_BEAT_SCHEDULE)."""

from celery import shared_task

from fleet.usage import usage_rollup


@shared_task(name="fleet.usage_rollup", ignore_result=True)
def usage_rollup_task() -> int:
    """Rewrite today's and yesterday's per-tenant usage rows from the meters (idempotent: safe to overlap)."""
    return usage_rollup().rows
