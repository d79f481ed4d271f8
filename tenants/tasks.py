"""Tenant-bound Celery plumbing and the demo task that proves a task runs in its sender's schema."""

import threading

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


class _ContextsBefore(threading.local):
    def __init__(self) -> None:
        self.stack: list[tuple[str, object, bool]] = []


_contexts_before = _ContextsBefore()


def enter_task_tenant(task) -> None:
    """Before a task runs (task_prerun): its sender's tenant, on that tenant's cell (cells.routing).

    Replaces tenant-schemas-celery's own switch, which knows schemas but not cells. The sender's schema name (in
    the message headers) is unique across cells, so the registry on the control plane says where it lives. What was
    in place before is put back after the task (`leave_task_tenant`): an eager task runs inside its caller."""
    from django_tenants.utils import get_public_schema_name
    from tenant_schemas_celery.app import get_schema_name_from_task

    from cells import routing

    _contexts_before.stack.append((routing.current_cell(), connection.tenant, connection.include_public_schema))
    schema_name = get_schema_name_from_task(task, None) or get_public_schema_name()
    if connection.schema_name == schema_name:
        return  # already there (a task run eagerly by its tenant's request, consecutive tasks of one tenant)
    routing.switch(routing.DEFAULT_CELL)
    if schema_name == get_public_schema_name():
        connection.set_schema_to_public()
        return
    routing.activate(task.get_tenant_for_schema(schema_name=schema_name))


def leave_task_tenant(task) -> None:
    """After a task (task_postrun): the cell and tenant context that were in place before it."""
    from cells import routing

    if _contexts_before.stack:
        cell, tenant, include_public = _contexts_before.stack.pop()
        routing.switch(cell)
        connection.set_tenant(tenant, include_public)


@shared_task(name="tenants.describe_current_schema")
def describe_current_schema() -> dict:
    """Which schema this task ran in, and whose users it sees there."""
    emails = sorted(get_user_model().objects.values_list("email", flat=True))
    return {"schema": connection.schema_name, "user_emails": emails}
