"""Restoring a backup: into a scratch schema, verified, migrated, then swapped in with its registry row."""

from __future__ import annotations

import uuid
from pathlib import Path

from django.conf import settings
from django.db import DatabaseError, IntegrityError, ProgrammingError, connection, transaction
from django_tenants.utils import schema_exists

from cells.placement import choose_cell
from cells.routing import control_alias, on_cell, tenant_on_cell
from fleet.audit import audit
from fleet.backup.archive import Backup, BackupError, TableDigest, read_backup
from fleet.backup.snapshot import table_digests
from fleet.backup.sql import (
    _check_statements,
    _run_dump_as_restricted_role,
    definer_functions_from_the_code,
    dump_parts,
)
from fleet.models import TenantAuditEvent
from tenants import db_roles, schema_template
from tenants.models import Domain, Tenant
from tenants.services import refuse_if_slug_was_taken, schema_name_for, validate_new_slug

_RESTORE_PREFIX = "_restore_"
_RESTORE_LOCK_KEY = 7_341_002


def tenant_restore(
    *, path: Path, actor: str, as_slug: str | None = None, replace: bool = False, cell: str | None = None
) -> Tenant:
    """Recreate a tenant from a backup file, under its own slug or `as_slug`, and register its domain.

    Refused over an existing tenant unless `replace` (its current schema is then dropped at the swap); an archived
    tenant is restored in place. The file is verified whole before the database is touched. The dump is restored
    into a scratch schema (its SQL run by a role that can create only there, every table then checked against the
    manifest), an older backup is migrated there one transaction per migration as `migrate` does (so any valid
    history applies), and one transaction renames it into place with the registry row, domain and role. Any failure
    drops the scratch schema: nothing is left behind. A copy under another slug gets no working credential of the
    original: API keys revoked, passwords unusable, sessions dropped.

    The schema goes to the cell of the registry row it replaces or revives; a new tenant to `cell`, else where the
    placement policy says (cells.placement). The registry row stays on the control plane.
    """
    backup = read_backup(Path(path))
    original = backup.manifest["tenant"]
    slug = as_slug or original["slug"]
    existing = Tenant.objects.filter(slug=slug).only("cell").first()
    target = existing.cell if existing is not None else choose_cell(plan=original["plan"], requested=cell)
    with on_cell(target):
        return _restore_on_cell(backup, path=Path(path), actor=actor, slug=slug, replace=replace, cell=target)


def _restore_on_cell(backup: Backup, *, path: Path, actor: str, slug: str, replace: bool, cell: str) -> Tenant:
    original = backup.manifest["tenant"]
    code = {f"{a}.{n}" for a, n in schema_template.code_migrations()}
    unknown = set(backup.manifest["migrations"]) - code
    if unknown:
        raise BackupError(f"the backup has migrations this code does not know ({', '.join(sorted(unknown)[:3])}); "
                          "restore it with the release that wrote it")  # fmt: skip
    if connection.in_atomic_block:
        raise BackupError("a restore commits in steps (scratch schema, migrations, swap); run it outside a transaction")
    connection.set_schema_to_public()
    schema_template.ensure_fresh_template()  # the code's definer functions are taken from it
    _check_target(slug, replace=replace)  # early, for a quick answer; checked again under lock at the swap
    _hold_restore_lock()
    scratch = f"{_RESTORE_PREFIX}{uuid.uuid4().hex[:16]}"
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            parts = dump_parts(backup.dump, original["schema_name"], scratch)
            _check_statements(parts, scratch)
            cursor.execute(f"CREATE SCHEMA {schema_template.quote(scratch)}")
            try:
                _run_dump_as_restricted_role(cursor, parts, scratch)
            except DatabaseError as exc:
                first = _first_line(exc)
                raise BackupError(f"the dump failed as the tenant's role ({first}); nothing restored") from None
            _verify(cursor, scratch, backup.manifest["tables"])
        if set(backup.manifest["migrations"]) != code:  # an older backup: bring it up to this release
            try:
                schema_template.migrate_schema(scratch)
            except Exception as exc:
                raise BackupError(f"migrating the backup to this release failed ({type(exc).__name__}: "
                                  f"{_first_line(exc)}); nothing restored") from exc  # fmt: skip
        with transaction.atomic(), connection.cursor() as cursor:
            definer_functions_from_the_code(cursor, scratch)
        return _swap_in(scratch, backup=backup, slug=slug, replace=replace, actor=actor, path=path, cell=cell)
    finally:
        connection.set_schema_to_public()
        schema_template.drop_schema(scratch)  # gone already once renamed into place
        _release_restore_lock()


def _check_target(slug: str, *, replace: bool, lock: bool = False) -> Tenant | None:
    """The registry row a restore of `slug` replaces or revives (None: a new tenant); refused when it may not."""
    rows = Tenant.objects.select_for_update() if lock else Tenant.objects
    existing = rows.filter(slug=slug).first()
    if existing is None:
        validate_new_slug(slug)
    elif existing.status != Tenant.Status.ARCHIVED:
        if not replace:
            raise BackupError(f"tenant {slug!r} exists ({existing.status}); pass --replace to overwrite its data "
                              "with the backup, or --as <new-slug> to restore beside it")  # fmt: skip
    elif schema_exists(existing.schema_name):
        raise BackupError(f"archived tenant {slug!r} still has a schema {existing.schema_name!r}; drop it first")
    return existing


def _swap_in(scratch: str, *, backup: Backup, slug: str, replace: bool, actor: str, path: Path, cell: str) -> Tenant:
    """One transaction: the restored schema renamed into place with its registry row, domains, role and audit. On
    another cell than the control plane, two nested ones: the cell's commits first, inside the registry's."""
    original = backup.manifest["tenant"]
    schema_name = schema_name_for(slug)
    creating = False
    try:
        with transaction.atomic(using=control_alias()), transaction.atomic():
            existing = _check_target(slug, replace=replace, lock=True)
            creating = existing is None
            replaced = None
            if existing is not None and existing.status != Tenant.Status.ARCHIVED:
                replaced = existing.schema_name
                _drop_schema(existing.schema_name)
                db_roles.drop_tenant_role(existing.schema_name)
                existing.delete()
                existing = None
            elif existing is not None:
                schema_name = existing.schema_name
            # The registry row before the rename, as create_tenant orders it: two of one slug queue on that row
            # (the loser then gets "already taken"), never on each other's schema name in the opposite order.
            if existing is not None:
                tenant = existing
                tenant.status = Tenant.Status.ACTIVE
                tenant.save(update_fields=["status", "updated_at"])
            else:
                tenant = Tenant.objects.create(schema_name=schema_name, slug=slug, name=original["name"],
                                               plan=original["plan"], status=Tenant.Status.ACTIVE,
                                               cell=cell)  # fmt: skip
                domains = backup.manifest["domains"] if slug == original["slug"] else []
                domains = domains or [{"domain": f"{slug}.{settings.BASE_DOMAIN}", "is_primary": True}]
                for domain in domains:
                    if Domain.objects.filter(domain=domain["domain"]).exists():
                        raise BackupError(f"domain {domain['domain']!r} belongs to another tenant; restore with --as")
                    Domain.objects.create(tenant=tenant, **domain)
            with connection.cursor() as cursor:
                cursor.execute(
                    f"ALTER SCHEMA {schema_template.quote(scratch)} RENAME TO {schema_template.quote(schema_name)}"
                )
            if slug != original["slug"]:
                with connection.cursor() as cursor:
                    _reset_credentials(cursor, schema_name)
            db_roles.grant_tenant_role(schema_name)
            audit(tenant=tenant, action=TenantAuditEvent.Action.RESTORE, actor=actor, source=str(path.resolve()),
                  from_slug=original["slug"], replaced_schema=replaced)  # fmt: skip
    except (IntegrityError, ProgrammingError):
        if creating:  # lost a race with another restore or provisioning of this slug: one line, as create_tenant
            refuse_if_slug_was_taken(slug, schema_name)
        raise
    return tenant


def _hold_restore_lock() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s)", [_RESTORE_LOCK_KEY])
        if cursor.fetchone()[0]:  # no other restore is running: what a killed one left can go
            try:
                cursor.execute("SELECT nspname FROM pg_namespace WHERE starts_with(nspname, %s)", [_RESTORE_PREFIX])
                for (leftover,) in cursor.fetchall():
                    cursor.execute(f"DROP SCHEMA IF EXISTS {schema_template.quote(leftover)} CASCADE")
            finally:
                cursor.execute("SELECT pg_advisory_unlock(%s)", [_RESTORE_LOCK_KEY])
        cursor.execute("SELECT pg_advisory_lock_shared(%s)", [_RESTORE_LOCK_KEY])


def _release_restore_lock() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_unlock_shared(%s)", [_RESTORE_LOCK_KEY])


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def _reset_credentials(cursor, schema_name: str) -> None:
    """A copy must not open with the original's keys or passwords: revoke every API key, make every password
    unusable (Django's "!" prefix) and drop every session. Admins set a password through a one-time link."""
    schema = schema_template.quote(schema_name)
    cursor.execute(f"UPDATE {schema}.access_apikey SET revoked_at = now() WHERE revoked_at IS NULL")
    cursor.execute(f"UPDATE {schema}.auth_user SET password = '!' || md5(random()::text || id::text)")
    cursor.execute(f"DELETE FROM {schema}.django_session")


def set_password_links(tenant: Tenant) -> dict[str, str]:
    """One-time links for the tenant's active admins to set a password (after a restore `--as`)."""
    from django.contrib.auth import get_user_model

    from tenants.services import _set_password_url

    with tenant_on_cell(tenant):
        admins = get_user_model().objects.filter(is_superuser=True, is_active=True).order_by("username")
        links = {admin.username: _set_password_url(tenant.slug, admin) for admin in admins}
    connection.set_schema_to_public()
    return links


def _drop_schema(schema_name: str) -> None:
    with connection.cursor() as cursor:
        cursor.execute(f"DROP SCHEMA IF EXISTS {schema_template.quote(schema_name)} CASCADE")


def _verify(cursor, schema_name: str, expected: dict[str, dict]) -> None:
    restored = table_digests(cursor, schema_name)
    wanted = {name: TableDigest(t["rows"], t["checksum"]) for name, t in expected.items()}
    if restored != wanted:
        different = sorted(name for name in set(restored) | set(wanted) if restored.get(name) != wanted.get(name))
        raise BackupError(f"the restored data differs from the backup in {', '.join(different[:5])}; nothing restored")
