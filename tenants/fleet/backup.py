"""Per-tenant backup and restore: one schema and its registry row in one file.

The file is a gzipped tar of `manifest.json` (format, the tenant's registry row and domains, the migrations its
schema has applied, per table a row count and a content checksum, and the sha256 and size of `schema.sql`) and
`schema.sql` (a plain `pg_dump` of the schema alone). The checksums and the dump are taken from the same exported
snapshot, so they describe the same data even while the tenant is being written to. The file is written 0600 (it
holds password and API-key hashes); the sha256 of the whole file goes beside it (`<file>.sha256`, sha256sum's format)
and into the registry (`TenantArchive`).

A restore trusts nothing it has not checked, and checks everything before it touches the database: the whole file
against the sha256 recorded at backup time (the sidecar, else the registry record of that location), the gzip
stream to its end (CRC and length), the tar members (exactly the two, each of the size and sha256 the manifest
records). Any failure is one line, and nothing is created.

The dump is restored into a scratch schema (`_restore_<random>`), its SQL run as a role of its own that may create
only there: a statement that names another schema (`CREATE TABLE public.x`, `ALTER TABLE globex.…`) is refused by
PostgreSQL and that transaction rolls back. Statements that could leave that role (`RESET ROLE`, `set_config`,
`SESSION AUTHORIZATION`, dynamic `EXECUTE`, `SECURITY DEFINER`) and any statement kind pg_dump does not write for a
tenant schema are refused before anything runs. The restored objects are then handed to the owner, as provisioning
leaves them, and every table's count and checksum is compared with the manifest before that transaction commits.
A backup older than the code is then migrated in the scratch schema as `migrate` does, one transaction per
migration (one transaction cannot ALTER a table an earlier data migration wrote to: "pending trigger events"). A
last transaction registers the tenant (row, domains; the registry row first, so two restores or a restore and a
provisioning of one slug queue on it and the loser is told "already taken"), renames the scratch schema into place
and grants the tenant's role. Any failure drops the scratch schema: nothing is left behind; one a killed restore left
is dropped by the next restore that runs alone (restores hold an advisory lock shared while they run).

A copy restored beside the original (`--as`) does not keep its credentials: every API key is revoked, every
password made unusable and every session dropped; admins get one-time links to set a password.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import os
import re
import subprocess
import tarfile
import uuid
import zlib
from dataclasses import dataclass
from pathlib import Path

import psycopg
from django.conf import settings
from django.db import DatabaseError, IntegrityError, ProgrammingError, connection, transaction
from django.utils import timezone
from django_tenants.utils import schema_exists

from core.errors import DomainError
from tenants import db_roles, schema_template
from tenants.fleet.audit import audit
from tenants.models import Domain, Tenant, TenantArchive, TenantAuditEvent
from tenants.services import refuse_if_slug_was_taken, schema_name_for, validate_new_slug

FORMAT = "erp-tenant-backup/2"
_READABLE_FORMATS = {"erp-tenant-backup/1", FORMAT}  # 1: no per-member sha256 (the whole file's is still checked)
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
    sha256 = write_archive(path, manifest, dump)
    size = path.stat().st_size
    with transaction.atomic():
        TenantArchive.objects.create(
            tenant=tenant, tenant_slug=tenant.slug, location=str(path.resolve()), size_bytes=size, sha256=sha256
        )
        audit(tenant=tenant, action=TenantAuditEvent.Action.BACKUP, actor=actor,
              location=str(path.resolve()), size_bytes=size, sha256=sha256, tables=len(tables))  # fmt: skip
    return BackupResult(path=path, size_bytes=size, sha256=sha256, tables=tables)


def write_archive(path: Path, manifest: dict, dump: str) -> str:
    """Write the archive (0600) and its `<file>.sha256` sidecar; the manifest gets the dump's sha256 and size.
    Returns the sha256 of the whole file."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    dump_bytes = dump.encode()
    manifest = {**manifest, "files": {_DUMP: {"sha256": hashlib.sha256(dump_bytes).hexdigest(),
                                              "size": len(dump_bytes)}}}  # fmt: skip
    partial = path.with_name(path.name + ".partial")
    # Created 0600 from the start: it holds password and API-key hashes, and must never be readable by others.
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.fchmod(fd, 0o600)
    with os.fdopen(fd, "wb") as raw, tarfile.open(fileobj=raw, mode="w:gz") as archive:
        for name, data in ((_MANIFEST, json.dumps(manifest, indent=2).encode()), (_DUMP, dump_bytes)):
            info = tarfile.TarInfo(name)
            info.size = len(data)
            info.mode = 0o600
            info.mtime = int(timezone.now().timestamp())
            archive.addfile(info, io.BytesIO(data))
    partial.rename(path)
    sha256 = hashlib.sha256(path.read_bytes()).hexdigest()
    _sidecar(path).write_text(f"{sha256}  {path.name}\n")
    return sha256


def _sidecar(path: Path) -> Path:
    return path.with_name(path.name + ".sha256")


# --- Restore -----------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Backup:
    manifest: dict
    dump: str


def read_backup(path: Path) -> Backup:
    """The backup in `path`, verified whole before anything uses it; BackupError (one line) if any check fails."""
    path = Path(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise BackupError(f"cannot read {path}: {exc.strerror or exc}") from None
    recorded = _recorded_sha256(path)
    if hashlib.sha256(raw).hexdigest() != recorded:
        raise BackupError(f"{path} does not match the sha256 recorded when it was written: the file is damaged or "
                          "was changed; nothing restored")  # fmt: skip
    try:
        data = gzip.decompress(raw)  # reads to the end: checks the CRC and the length in the gzip trailer
    except (OSError, EOFError, zlib.error) as exc:
        raise BackupError(f"{path} is damaged (gzip: {exc}); nothing restored") from None
    members = _tar_members(path, data)
    try:
        manifest = json.loads(members[_MANIFEST])
        dump_bytes = members[_DUMP]
        if manifest.get("format") not in _READABLE_FORMATS:
            raise BackupError(f"{path} has format {manifest.get('format')!r}; this version reads {FORMAT!r}")
        if manifest["format"] == FORMAT:
            expected = manifest["files"][_DUMP]
            if len(dump_bytes) != expected["size"] or hashlib.sha256(dump_bytes).hexdigest() != expected["sha256"]:
                raise BackupError(
                    f"{path}: {_DUMP} does not match the size and sha256 in its manifest; nothing restored"
                )
        dump = dump_bytes.decode()
    except (ValueError, KeyError, TypeError) as exc:  # JSONDecodeError and UnicodeDecodeError are ValueErrors
        raise BackupError(f"{path} is not a tenant backup ({type(exc).__name__}: {exc}); nothing restored") from None
    return Backup(manifest, dump)


def _recorded_sha256(path: Path) -> str:
    """The sha256 written beside the file at backup time, else the one the registry recorded for its location."""
    sidecar = _sidecar(path)
    if sidecar.exists():
        text = sidecar.read_text().strip()
        return text.split()[0].lower() if text else ""
    record = TenantArchive.objects.filter(location=str(path.resolve())).order_by("-created_at").first()
    if record is None:
        raise BackupError(f"{path} has no recorded sha256 ({sidecar.name} is missing and the registry has no backup at "
                          "that location), so it cannot be verified; copy the .sha256 file beside it")  # fmt: skip
    return record.sha256


def _tar_members(path: Path, data: bytes) -> dict[str, bytes]:
    """Exactly manifest.json and schema.sql, regular files, read in full."""
    members: dict[str, bytes] = {}
    try:
        with tarfile.open(fileobj=io.BytesIO(data), mode="r:") as archive:
            for member in archive:
                if member.name not in (_MANIFEST, _DUMP) or not member.isfile() or member.name in members:
                    raise BackupError(f"{path} holds an unexpected member {member.name!r}; nothing restored")
                content = archive.extractfile(member).read()
                if len(content) != member.size:
                    raise BackupError(f"{path}: {member.name} is shorter than its tar header says; nothing restored")
                members[member.name] = content
    except tarfile.TarError as exc:
        raise BackupError(f"{path} is damaged (tar: {exc}); nothing restored") from None
    missing = {_MANIFEST, _DUMP} - set(members)
    if missing:
        raise BackupError(f"{path} lacks {', '.join(sorted(missing))}; nothing restored")
    return members


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


# What pg_dump writes for a tenant schema (with --no-owner --no-privileges); any other statement kind is refused.
_ALLOWED_STATEMENT = re.compile(
    r"^(CREATE (TABLE|SEQUENCE|(UNIQUE )?INDEX|FUNCTION|(CONSTRAINT )?TRIGGER|TYPE)|ALTER (TABLE|SEQUENCE|INDEX)"
    r"|COMMENT ON|SELECT pg_catalog\.setval\()",
    re.IGNORECASE,
)
# Ways out of the restricted role, or code that would run as someone else later; refused anywhere outside COPY data.
_FORBIDDEN = re.compile(
    r"\b(RE)?SET\s+(LOCAL\s+|SESSION\s+)?ROLE\b|\bSESSION\s+AUTHORIZATION\b|\bset_config\b|\bSECURITY\s+DEFINER\b"
    r"|\bEXECUTE\b(?!\s+(FUNCTION|PROCEDURE)\b)|\bdblink|\blo_(import|export)\b|\bpg_read_|\bCOPY\b",
    re.IGNORECASE,
)
_TOKEN = re.compile(r"(\$[A-Za-z_]*\$)|'|\"|;|--|/\*")


def statements(text: str) -> list[str]:
    """Split SQL into statements on `;` outside quotes, dollar quotes and comments (pg_dump's plain output)."""
    out: list[str] = []
    start = position = 0
    while True:
        match = _TOKEN.search(text, position)
        if match is None:
            break
        token = match.group(0)
        if token == ";":  # noqa: S105 - a SQL token, not a password
            out.append(text[start : match.end()].strip())
            start = position = match.end()
            continue
        closing = {"'": "'", '"': '"', "--": "\n", "/*": "*/"}.get(token, token)
        end = text.find(closing, match.end())
        if end < 0:
            raise BackupError("the dump has an unterminated quote or comment; nothing restored")
        position = end + len(closing)
    rest = text[start:].strip()
    if rest:
        out.append(rest)
    return [statement for statement in out if statement]


def _check_statements(parts: list[tuple[str, str, str]], schema_name: str) -> None:
    """Refuse, before anything runs, a dump with statements pg_dump would not write or that could escape the role."""
    copy_header = re.compile(
        rf'^COPY {re.escape(schema_template.quote(schema_name))}\.("[^"]+"|\w+) \([^;]*\) FROM stdin$'
    )
    for kind, text, _data in parts:
        if kind == "copy":
            if not copy_header.match(text):
                raise BackupError(f"the dump copies into something other than the tenant's own tables: {text[:80]!r}")
            continue
        for statement in statements(text):
            if not _ALLOWED_STATEMENT.match(statement) or _FORBIDDEN.search(statement):
                first = " ".join(statement.split())[:80]
                raise BackupError(f"the dump has a statement a tenant backup never holds: {first!r}; nothing restored")


def _run_dump_as_restricted_role(cursor, parts: list[tuple[str, str, str]], schema_name: str) -> None:
    """Replay the dump as a role of its own that may create only in `schema_name`; then give the owner what it
    created, as provisioning leaves a schema, and drop the role (the tenant's own role is granted at the swap)."""
    role = schema_template.quote(db_roles.role_name(schema_name))
    schema = schema_template.quote(schema_name)
    cursor.execute(f"CREATE ROLE {role} NOLOGIN NOINHERIT; GRANT {role} TO CURRENT_USER")
    cursor.execute(f"GRANT USAGE, CREATE ON SCHEMA {schema} TO {role}")
    # SET LOCAL: a failure aborts the transaction, whose rollback ends the role with it.
    cursor.execute(f"SET LOCAL ROLE {role}")
    for kind, text, data in parts:
        if kind == "sql":
            cursor.execute(text)
        else:
            with cursor.copy(text) as copy:
                copy.write(data)
    cursor.execute("RESET ROLE")
    cursor.execute(f"REASSIGN OWNED BY {role} TO CURRENT_USER")
    cursor.execute(f"DROP OWNED BY {role}; DROP ROLE {role}")


# A restore builds its schema under this prefix, then renames it into place. Restores hold _RESTORE_LOCK_KEY shared
# for their whole life; one that gets it alone drops the scratch schemas a killed restore left.
_RESTORE_PREFIX = "_restore_"
_RESTORE_LOCK_KEY = 7_341_002


def tenant_restore(*, path: Path, actor: str, as_slug: str | None = None, replace: bool = False) -> Tenant:
    """Recreate a tenant from a backup file, under its own slug or `as_slug`, and register its domain.

    Refused over an existing tenant unless `replace` (its current schema is then dropped at the swap); an archived
    tenant is restored in place. The file is verified whole before the database is touched. The dump is restored
    into a scratch schema (its SQL run by a role that can create only there, every table then checked against the
    manifest), an older backup is migrated there one transaction per migration as `migrate` does (so any valid
    history applies), and one transaction renames it into place with the registry row, domain and role. Any failure
    drops the scratch schema: nothing is left behind. A copy under another slug gets no working credential of the
    original: API keys revoked, passwords unusable, sessions dropped.
    """
    backup = read_backup(Path(path))
    original = backup.manifest["tenant"]
    slug = as_slug or original["slug"]
    code = {f"{a}.{n}" for a, n in schema_template.code_migrations()}
    unknown = set(backup.manifest["migrations"]) - code
    if unknown:
        raise BackupError(f"the backup has migrations this code does not know ({', '.join(sorted(unknown)[:3])}); "
                          "restore it with the release that wrote it")  # fmt: skip
    if connection.in_atomic_block:
        raise BackupError("a restore commits in steps (scratch schema, migrations, swap); run it outside a transaction")
    connection.set_schema_to_public()
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
        return _swap_in(scratch, backup=backup, slug=slug, replace=replace, actor=actor, path=Path(path))
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


def _swap_in(scratch: str, *, backup: Backup, slug: str, replace: bool, actor: str, path: Path) -> Tenant:
    """One transaction: the restored schema renamed into place with its registry row, domains, role and audit."""
    original = backup.manifest["tenant"]
    schema_name = schema_name_for(slug)
    creating = False
    try:
        with transaction.atomic():
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
                                               plan=original["plan"], status=Tenant.Status.ACTIVE)  # fmt: skip
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
    from django_tenants.utils import tenant_context

    from tenants.services import _set_password_url

    with tenant_context(tenant):
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
