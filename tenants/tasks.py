"""Tenant-bound Celery plumbing and the demo task that proves a task runs in its sender's schema."""

from celery import shared_task
from django.contrib.auth import get_user_model
from django.db import connection
from tenant_schemas_celery.task import TenantTask


class TenantNotActive(Exception):
    pass


class TenantBoundTask(TenantTask):
    """Runs in the schema it was sent from, and refuses to run for a tenant that is not active."""

    abstract = True

    @classmethod
    def get_tenant_for_schema(cls, schema_name: str):
        from tenants.models import Tenant

        tenant = super().get_tenant_for_schema(schema_name)
        if tenant.status != Tenant.Status.ACTIVE:
            raise TenantNotActive(f"tenant {tenant.slug!r} is {tenant.status}; task refused")
        return tenant


@shared_task(name="tenants.describe_current_schema")
def describe_current_schema() -> dict:
    """Which schema this task ran in, and whose users it sees there."""
    emails = sorted(get_user_model().objects.values_list("email", flat=True))
    return {"schema": connection.schema_name, "user_emails": emails}
