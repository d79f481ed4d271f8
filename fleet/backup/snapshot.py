"""Taking a backup: the schema's dump and per-table checksums from one exported snapshot, written as one file."""

from __future__ import annotations

import subprocess
from pathlib import Path

import psycopg
from django.db import connection, transaction
from django.utils import timezone
from django_tenants.utils import schema_exists

from cells.routing import control_alias, on_cell
from fleet.audit import audit
from fleet.backup.archive import FORMAT, BackupError, BackupResult, TableDigest, write_archive
from fleet.models import TenantArchive, TenantAuditEvent
from tenants import schema_template
from tenants.models import Tenant

# --- Reading a schema ------------------------------------------------------------------------------------------


def _conninfo() -> dict[str, str]:
    db = connection.settings_dict  # the cell in place (cells.routing), the control plane by default
    info = {"dbname": db["NAME"], "host": db.get("HOST") or "", "port": str(db.get("PORT") or ""),
            "user": db.get("USER") or "", "password": db.get("PASSWORD") or ""}  # fmt: skip
    return {key: value for key, value in info.items() if value}


def _tables(cursor, schema_name: str) -> list[str]:
    cursor.execute(
        "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
        "WHERE n.nspname = %s AND c.relkind IN ('r', 'p') ORDER BY c.relname",
        [schema_name],
    )
    return [row[0] for row in cursor.fetchall()]


def table_digests(cursor, schema_name: str) -> dict[str, TableDigest]:
    """Row count and an order-independent checksum of every table's content (row text sorted, then md5)."""
    digests = {}
    for table in _tables(cursor, schema_name):
        cursor.execute(
            "SELECT count(*), coalesce(md5(string_agg(t::text, E'\\n' ORDER BY t::text COLLATE \"C\")), '') "
            f"FROM {schema_template.quote(schema_name)}.{schema_template.quote(table)} t"
        )
        rows, checksum = cursor.fetchone()
        digests[table] = TableDigest(rows, checksum)
    return digests


def _pg_dump(schema_name: str, snapshot: str) -> str:
    info = _conninfo()
    command = [schema_template.pg_dump_binary(), "--schema", schema_name, "--no-owner", "--no-privileges",
               "--snapshot", snapshot, "--dbname", info["dbname"]]  # fmt: skip
    for option, key in (("--host", "host"), ("--port", "port"), ("--username", "user")):
        if key in info:
            command += [option, info[key]]
    env = {"PGPASSWORD": info.get("password", ""), "PATH": "/usr/bin:/bin"}
    result = subprocess.run(command, capture_output=True, text=True, env=env, timeout=3600)
    if result.returncode != 0:
        raise BackupError(f"pg_dump of schema {schema_name!r} failed: {result.stderr.strip()[-500:]}")
    # A tenant being moved between cells carries the move's capture triggers (cells.move.capture): they belong to the
    # move, not to the tenant, and name a function a restored schema does not have. pg_dump writes each on one line.
    lines = result.stdout.split("\n")
    return "\n".join(line for line in lines if not line.startswith(_MOVE_TRIGGERS))


_MOVE_TRIGGERS = ("CREATE TRIGGER _move_capture ", "CREATE TRIGGER _move_capture_truncate ")


# --- Backup ------------------------------------------------------------------------------------------------------


def tenant_backup(*, tenant: Tenant, path: Path, actor: str) -> BackupResult:
    """Write the tenant's schema and registry row to `path` (a consistent snapshot, even while it is in use)."""
    with on_cell(tenant.cell):
        tables, migrations, dump = _snapshot(tenant, Path(path))
    path = Path(path)
    sha256 = write_archive(path, _manifest(tenant, tables, migrations), dump)
    size = path.stat().st_size
    with transaction.atomic(using=control_alias()):
        TenantArchive.objects.create(
            tenant=tenant, tenant_slug=tenant.slug, location=str(path.resolve()), size_bytes=size, sha256=sha256
        )
        audit(tenant=tenant, action=TenantAuditEvent.Action.BACKUP, actor=actor,
              location=str(path.resolve()), size_bytes=size, sha256=sha256, tables=len(tables))  # fmt: skip
    return BackupResult(path=path, size_bytes=size, sha256=sha256, tables=tables)


def _snapshot(tenant: Tenant, path: Path) -> tuple[dict[str, TableDigest], list[str], str]:
    """On the tenant's cell: every table's digest, the applied migrations and the dump, from one snapshot."""
    if not schema_exists(tenant.schema_name):
        raise BackupError(f"tenant {tenant.slug!r} has no schema {tenant.schema_name!r} (archived?); nothing to save")
    if path.exists():
        raise BackupError(f"{path} already exists; choose another file name")
    # A snapshot exported from a repeatable-read transaction: the checksums and pg_dump see exactly the same rows.
    with psycopg.connect(**_conninfo()) as conn:
        conn.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
        with conn.transaction(), conn.cursor() as cursor:
            cursor.execute("SELECT pg_export_snapshot()")
            snapshot = cursor.fetchone()[0]
            tables = table_digests(cursor, tenant.schema_name)
            cursor.execute(f"SELECT app, name FROM {schema_template.quote(tenant.schema_name)}.django_migrations")
            migrations = sorted(f"{app}.{name}" for app, name in cursor.fetchall())
            dump = _pg_dump(tenant.schema_name, snapshot)
    return tables, migrations, dump


def _manifest(tenant: Tenant, tables: dict[str, TableDigest], migrations: list[str]) -> dict:
    return {
        "format": FORMAT,
        "created_at": timezone.now().isoformat(),
        "tenant": {
            "slug": tenant.slug,
            "name": tenant.name,
            "plan": tenant.plan,
            "status": tenant.status,
            "schema_name": tenant.schema_name,
            "created_at": tenant.created_at.isoformat(),
        },
        "domains": [{"domain": d.domain, "is_primary": d.is_primary} for d in tenant.domains.order_by("domain")],
        "migrations": migrations,
        "tables": {name: {"rows": d.rows, "checksum": d.checksum} for name, d in tables.items()},
    }
