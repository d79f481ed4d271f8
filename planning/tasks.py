"""Celery tasks of planning. Each runs in the schema of the tenant that sent it (the schema travels in the task
headers; see erp.celery), so nothing here names a schema."""

from celery import shared_task

from planning.runs import mrp_run_execute, mrp_run_fail


# The name it had before MRP moved from production: runs queued before a deploy are still picked up.
@shared_task(name="production.run_mrp", bind=True, max_retries=3, default_retry_delay=10)
def run_mrp(self, run_id: int) -> dict:
    """Compute MRP run `run_id` and keep its planned lines. A failure is retried; after the last retry the run is
    marked failed with the reason, so its page stops waiting."""
    try:
        run = mrp_run_execute(run_id=run_id)
    except Exception as exc:
        if self.request.retries >= self.max_retries:
            mrp_run_fail(run_id=run_id, reason=f"the run failed {self.max_retries + 1} times; last error: {exc}")
            raise
        raise self.retry(exc=exc) from exc
    return {"run": run.pk, "status": run.status, "lines": run.line_count}
