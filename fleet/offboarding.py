"""Offboarding: suspend, resume, archive, hard delete; each one audited (who, when, what) in the same transaction.

Suspension keeps everything and closes the door (the host answers 'suspended', tasks are refused). Archiving
writes a verified backup file first, then drops the schema; the registry row stays, status archived, with the
archive's location (`TenantArchive`), so `tenant_restore` can bring the tenant back. Hard delete drops schema and
registry row for good and needs the tenant's slug typed back as confirmation.
"""

from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from cells.routing import control_alias, current_cell, on_cell
from core.errors import DomainError
from fleet.audit import audit
from fleet.backup import read_backup, tenant_backup
from fleet.models import TenantArchive, TenantAuditEvent
from tenants import db_roles, schema_template, services
from tenants.models import Tenant

Action = TenantAuditEvent.Action


class OffboardingError(DomainError):
    pass


def tenant_suspend(*, tenant: Tenant, actor: str, reason: str = "") -> Tenant:
    """Suspend a tenant: its host answers 'suspended' at once and its tasks are refused; its data is kept."""
    with transaction.atomic():
        tenant = services.tenant_suspend(tenant=tenant)
        audit(tenant=tenant, action=Action.SUSPEND, actor=actor, reason=reason or None)
    return tenant


def tenant_resume(*, tenant: Tenant, actor: str, reason: str = "") -> Tenant:
    """Reopen a suspended tenant."""
    with transaction.atomic():
        tenant = services.tenant_resume(tenant=tenant)
        audit(tenant=tenant, action=Action.RESUME, actor=actor, reason=reason or None)
    return tenant


def archive_path(tenant: Tenant) -> Path:
    stamp = timezone.now().strftime("%Y%m%dT%H%M%S")
    return Path(settings.TENANT_ARCHIVE_DIR) / f"{tenant.slug}-{stamp}.tar.gz"


def tenant_archive(*, tenant: Tenant, actor: str, path: Path | None = None, reason: str = "") -> TenantArchive:
    """Archive a tenant: suspend it, write and check a backup file, then drop its schema; the registry row stays.

    The schema is dropped only after the backup file has been written and read back.
    """
    tenant = Tenant.objects.get(pk=tenant.pk)
    if tenant.status == Tenant.Status.ARCHIVED:
        raise OffboardingError(f"tenant {tenant.slug!r} is already archived")
    if tenant.status not in (Tenant.Status.ACTIVE, Tenant.Status.SUSPENDED):
        raise OffboardingError(f"tenant {tenant.slug!r} is {tenant.status}; only active or suspended can be archived")
    if tenant.status == Tenant.Status.ACTIVE:
        # No writes between the backup's snapshot and the drop: the host and its tasks are closed first.
        tenant = tenant_suspend(tenant=tenant, actor=actor, reason="archiving")
    path = Path(path) if path is not None else archive_path(tenant)
    result = tenant_backup(tenant=tenant, path=path, actor=actor)
    read_backup(result.path)  # the file we are about to rely on can be read back

    connection.set_schema_to_public()
    with transaction.atomic(using=control_alias()):
        locked = Tenant.objects.select_for_update().get(pk=tenant.pk)
        if locked.status != Tenant.Status.SUSPENDED:
            raise OffboardingError(f"tenant {locked.slug!r} became {locked.status} while archiving; schema kept")
        if locked.cell == current_cell():
            _drop_schema_and_role(locked.schema_name)
        else:  # the registry's transaction stays open while the cell's commits: a failure there keeps the row
            with on_cell(locked.cell), transaction.atomic():
                connection.set_schema_to_public()
                _drop_schema_and_role(locked.schema_name)
        locked.status = Tenant.Status.ARCHIVED
        locked.save(update_fields=["status", "updated_at"])
        archive = TenantArchive.objects.filter(tenant=locked, location=str(result.path.resolve())).latest()
        audit(tenant=locked, action=Action.ARCHIVE, actor=actor, location=archive.location, sha256=archive.sha256,
              reason=reason or None)  # fmt: skip
    return archive


def _drop_schema_and_role(schema_name: str) -> None:
    with connection.cursor() as cursor:
        cursor.execute(f"DROP SCHEMA {schema_template.quote(schema_name)} CASCADE")
    db_roles.drop_tenant_role(schema_name)


def tenant_hard_delete(*, tenant: Tenant, actor: str, confirm: str) -> None:
    """Delete a tenant for good: schema, registry row and domains. `confirm` must be the tenant's slug.

    Its audit events (and archive records) stay, with the slug, for the record.
    """
    if confirm != tenant.slug:
        raise OffboardingError(f"type the tenant's slug to confirm deleting it for good: --confirm {tenant.slug}")
    with transaction.atomic():
        audit(tenant=tenant, action=Action.DELETE, actor=actor, schema_name=tenant.schema_name,
              status_before=tenant.status)  # fmt: skip
        services.tenant_delete(tenant=tenant)
