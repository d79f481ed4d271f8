"""Celery tasks of inventory. Each runs in the schema of the tenant that sent it (the schema travels in the task
headers; see erp.celery), so nothing here names a schema."""

from celery import shared_task

from inventory.services import item_import_run


@shared_task(name="inventory.import_items", bind=True, max_retries=3, default_retry_delay=10)
def import_items(self, job_id: int) -> dict:
    """Import the items of CSV import job `job_id`, row by row.

    Policy: per row, not all-or-nothing. Each row is its own transaction: valid rows are created or updated by SKU
    and kept, each bad row is skipped and recorded on the job with its line number and the reason. A wrong header
    fails the whole job before any row is read. Progress is saved every 50 rows, for the job's page to show. Each
    row's audit entry names the user who uploaded the file, not "system".
    """
    try:
        job = item_import_run(job_id=job_id)
    except Exception as exc:  # a lost database connection and the like: try again, the job is still pending
        raise self.retry(exc=exc) from exc
    return {"job": job.pk, "status": job.status, "created": job.created_count, "updated": job.updated_count}
