"""Per-tenant backup and restore: one schema and its registry row in one file.

The file is a gzipped tar of `manifest.json` (format, the tenant's registry row and domains, the migrations its
schema has applied, and per table a row count and a content checksum) and `schema.sql` (a plain `pg_dump` of the
schema alone). The checksums and the dump are taken from the same exported snapshot, so they describe the same
data even while the tenant is being written to. A restore replays the dump under the target schema name in one
transaction and compares every table's count and checksum with the manifest before committing: a restore that
does not reproduce the data leaves nothing behind.
"""

from __future__ import annotations

import hashlib
import io
import json
import re
import subprocess
import tarfile
from dataclasses import dataclass
from pathlib import Path

import psycopg
from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone
from django_tenants.utils import schema_exists

from erp.errors import DomainError
from tenants import db_roles, schema_template
from tenants.fleet.audit import audit
from tenants.models import Domain, Tenant, TenantArchive, TenantAuditEvent
from tenants.services import schema_name_for, validate_new_slug

FORMAT = "erp-tenant-backup/1"
_MANIFEST = "manifest.json"
_DUMP = "schema.sql"
_DROPPED_LINE = re.compile(r"^(SET |SELECT pg_catalog\.set_config|\\|--|CREATE SCHEMA )")


class BackupError(DomainError):
    pass


@dataclass(frozen=True)
class TableDigest:
    rows: int
    checksum: str


@dataclass(frozen=True)
class BackupResult:
    path: Path
    size_bytes: int
    sha256: str
    tables: dict[str, TableDigest]


# --- Reading a schema ------------------------------------------------------------------------------------------


def _conninfo() -> dict[str, str]:
    db = settings.DATABASES["default"]
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
    return result.stdout


# --- Backup ------------------------------------------------------------------------------------------------------


def tenant_backup(*, tenant: Tenant, path: Path, actor: str) -> BackupResult:
    """Write the tenant's schema and registry row to `path` (a consistent snapshot, even while it is in use)."""
    if not schema_exists(tenant.schema_name):
        raise BackupError(f"tenant {tenant.slug!r} has no schema {tenant.schema_name!r} (archived?); nothing to save")
    path = Path(path)
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
    manifest = {
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
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".partial")
    with tarfile.open(partial, "w:gz") as archive:
        for name, text in ((_MANIFEST, json.dumps(manifest, indent=2)), (_DUMP, dump)):
            data = text.encode()
            info = tarfile.TarInfo(name)
            info.size = len(data)
            info.mtime = int(timezone.now().timestamp())
            archive.addfile(info, io.BytesIO(data))
    partial.rename(path)
    sha256 = hashlib.sha256(path.read_bytes()).hexdigest()
    size = path.stat().st_size
    with transaction.atomic():
        TenantArchive.objects.create(
            tenant=tenant, tenant_slug=tenant.slug, location=str(path.resolve()), size_bytes=size, sha256=sha256
        )
        audit(tenant=tenant, action=TenantAuditEvent.Action.BACKUP, actor=actor,
              location=str(path.resolve()), size_bytes=size, sha256=sha256, tables=len(tables))  # fmt: skip
    return BackupResult(path=path, size_bytes=size, sha256=sha256, tables=tables)


# --- Restore -----------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Backup:
    manifest: dict
    dump: str


def read_backup(path: Path) -> Backup:
    try:
        with tarfile.open(path, "r:gz") as archive:
            manifest = json.loads(archive.extractfile(_MANIFEST).read())
            dump = archive.extractfile(_DUMP).read().decode()
    except (OSError, KeyError, tarfile.TarError, json.JSONDecodeError, AttributeError) as exc:
        raise BackupError(f"{path} is not a tenant backup: {exc}") from None
    if manifest.get("format") != FORMAT:
        raise BackupError(f"{path} has format {manifest.get('format')!r}; this version reads {FORMAT!r}")
    return Backup(manifest, dump)


def _qualified_name_pattern(schema_name: str) -> re.Pattern:
    # Only schema-qualified references (`old.` or `"old".`): a column or table that happens to share the schema's
    # name is left alone.
    return re.compile(rf'(?<![\w"$.])(?:{re.escape(schema_name)}|"{re.escape(schema_name)}")(?=\.)')


def dump_parts(dump: str, old: str, new: str) -> list[tuple[str, str, str]]:
    """The dump as ("sql", statements, "") and ("copy", COPY statement, data) parts, renamed from `old` to `new`.

    Session settings, psql meta-commands, comments and CREATE SCHEMA are dropped outside COPY data; the data is
    passed through untouched (a row mentioning the old schema name stays as it was).
    """
    pattern = _qualified_name_pattern(old)
    target = schema_template.quote(new)
    parts: list[tuple[str, str, str]] = []
    sql: list[str] = []
    data: list[str] | None = None
    header = ""
    for line in dump.split("\n"):
        if data is not None:
            if line == "\\.":
                parts.append(("copy", header, "".join(f"{row}\n" for row in data)))
                data = None
            else:
                data.append(line)
        elif line.startswith("COPY ") and line.endswith(" FROM stdin;"):
            if sql:
                parts.append(("sql", "\n".join(sql), ""))
                sql = []
            header = pattern.sub(target, line)[: -len(";")]
            data = []
        elif line and not _DROPPED_LINE.match(line):
            sql.append(pattern.sub(target, line))
    if data is not None:
        raise BackupError("the dump ends inside a COPY block; the backup file is truncated")
    if sql:
        parts.append(("sql", "\n".join(sql), ""))
    return parts


def tenant_restore(*, path: Path, actor: str, as_slug: str | None = None, replace: bool = False) -> Tenant:
    """Recreate a tenant from a backup file, under its own slug or `as_slug`, and register its domain.

    Refused over an existing tenant unless `replace` (its current schema is then dropped in the same transaction);
    an archived tenant is restored in place. Nothing is committed unless every table matches the manifest.
    """
    backup = read_backup(Path(path))
    original = backup.manifest["tenant"]
    slug = as_slug or original["slug"]
    schema_name = schema_name_for(slug)
    unknown = set(backup.manifest["migrations"]) - {f"{a}.{n}" for a, n in schema_template.code_migrations()}
    if unknown:
        raise BackupError(f"the backup has migrations this code does not know ({', '.join(sorted(unknown)[:3])}); "
                          "restore it with the release that wrote it")  # fmt: skip
    connection.set_schema_to_public()
    with transaction.atomic():
        existing = Tenant.objects.select_for_update().filter(slug=slug).first()
        replaced = None
        if existing is not None and existing.status != Tenant.Status.ARCHIVED:
            if not replace:
                raise BackupError(f"tenant {slug!r} exists ({existing.status}); pass --replace to overwrite its data "
                                  "with the backup, or --as <new-slug> to restore beside it")  # fmt: skip
            replaced = existing.schema_name
            _drop_schema(existing.schema_name)
            db_roles.drop_tenant_role(existing.schema_name)
            existing.delete()
            existing = None
        elif existing is None:
            validate_new_slug(slug)
        elif schema_exists(existing.schema_name):
            raise BackupError(f"archived tenant {slug!r} still has a schema {existing.schema_name!r}; drop it first")
        else:
            schema_name = existing.schema_name

        with connection.cursor() as cursor:
            cursor.execute(f"CREATE SCHEMA {schema_template.quote(schema_name)}")
            for kind, text, data in dump_parts(backup.dump, original["schema_name"], schema_name):
                if kind == "sql":
                    cursor.execute(text)
                else:
                    with cursor.copy(text) as copy:
                        copy.write(data)
            _verify(cursor, schema_name, backup.manifest["tables"])

        if existing is not None:
            tenant = existing
            tenant.status = Tenant.Status.ACTIVE
            tenant.save(update_fields=["status", "updated_at"])
        else:
            tenant = Tenant.objects.create(schema_name=schema_name, slug=slug, name=original["name"],
                                           plan=original["plan"], status=Tenant.Status.ACTIVE)  # fmt: skip
            domains = backup.manifest["domains"] if slug == original["slug"] else []
            domains = domains or [{"domain": f"{slug}.{settings.BASE_DOMAIN}", "is_primary": True}]
            for domain in domains:
                if Domain.objects.filter(domain=domain["domain"]).exists():
                    raise BackupError(f"domain {domain['domain']!r} belongs to another tenant; restore with --as")
                Domain.objects.create(tenant=tenant, **domain)
        if set(backup.manifest["migrations"]) != {f"{a}.{n}" for a, n in schema_template.code_migrations()}:
            schema_template.migrate_schema(schema_name)  # an older backup: bring it up to this release
        db_roles.grant_tenant_role(schema_name)
        audit(tenant=tenant, action=TenantAuditEvent.Action.RESTORE, actor=actor, source=str(Path(path).resolve()),
              from_slug=original["slug"], replaced_schema=replaced)  # fmt: skip
    return tenant


def _drop_schema(schema_name: str) -> None:
    with connection.cursor() as cursor:
        cursor.execute(f"DROP SCHEMA IF EXISTS {schema_template.quote(schema_name)} CASCADE")


def _verify(cursor, schema_name: str, expected: dict[str, dict]) -> None:
    restored = table_digests(cursor, schema_name)
    wanted = {name: TableDigest(t["rows"], t["checksum"]) for name, t in expected.items()}
    if restored != wanted:
        different = sorted(name for name in set(restored) | set(wanted) if restored.get(name) != wanted.get(name))
        raise BackupError(f"the restored data differs from the backup in {', '.join(different[:5])}; nothing restored")
