"""Tenant-bound Celery plumbing and the demo task that proves a task runs in its sender's schema."""

from celery import shared_task
from django.contrib.auth import get_user_model
from django.db import connection
from tenant_schemas_celery.task import TenantTask


class TenantNotActive(Exception):
    pass


class TenantBoundTask(TenantTask):
    """Runs in the schema it was sent from, and refuses to run for a tenant that is not active.

    The status check sits in `__call__`, not in the schema switch, because the switch is skipped when the
    connection is already on the right schema (eager runs, consecutive tasks of one tenant).
    """

    abstract = True

    def __call__(self, *args, **kwargs):
        from django_tenants.utils import get_public_schema_name

        from tenants.models import Tenant

        schema_name = connection.schema_name
        if schema_name != get_public_schema_name():
            status = Tenant.objects.filter(schema_name=schema_name).values_list("status", flat=True).first()
            if status != Tenant.Status.ACTIVE:
                raise TenantNotActive(f"tenant schema {schema_name!r} is {status or 'unknown'}; task refused")
            from cells.move.freeze import RETRY_AFTER_SECONDS, is_frozen

            if is_frozen(schema_name):
                # A move between cells pauses the tenant's writes for seconds: run after it, not into its refusal.
                raise self.retry(countdown=RETRY_AFTER_SECONDS, max_retries=30)
        return super().__call__(*args, **kwargs)


@shared_task(name="tenants.describe_current_schema")
def describe_current_schema() -> dict:
    """Which schema this task ran in, and whose users it sees there."""
    emails = sorted(get_user_model().objects.values_list("email", flat=True))
    return {"schema": connection.schema_name, "user_emails": emails}
