"""The fleet migration runner: bring every tenant schema (and the provisioning template) up to the code's migrations.

Plan once, apply per schema. Schemas are grouped by the set of migrations they have applied (one query per 200
schemas compares a digest of each schema's `django_migrations` with the code's, so up-to-date schemas cost nothing
more). For each group the first schema (the canary, for the main group) is migrated by Django's own migration
executor while every statement its schema editor executes is recorded; every other schema of the group then gets
that recorded SQL replayed, with the same `django_migrations` rows, in its own transaction. Replay is exact because
the statements name tables without a schema (the search path picks the tenant's) and constraint/index names Django
introspected on the canary are the same in every schema built by the same migrations.

A group whose plan cannot be replayed (a RunPython operation or a non-atomic migration in a tenant app) is
migrated schema by schema with the executor. A replay that fails is retried once with the executor before the
schema is recorded as failed. Every schema is migrated in one transaction: a failure leaves it wholly on its old
state, is recorded with its error, and never stops the others. Only a failing canary stops the run.
"""

from __future__ import annotations

import hashlib
import logging
import threading
import time
from collections.abc import Callable, Iterable
from contextlib import contextmanager
from dataclasses import dataclass, field
from queue import Empty, SimpleQueue
from typing import Any

import psycopg
from django.conf import settings
from django.core.management.sql import emit_post_migrate_signal
from django.db import DEFAULT_DB_ALIAS, close_old_connections, connection, connections, transaction
from django.db.migrations.executor import MigrationExecutor
from django.db.migrations.loader import MigrationLoader
from django.db.migrations.migration import Migration
from django.db.migrations.operations.special import SeparateDatabaseAndState
from django.db.models import Count
from django.utils import timezone

from core.errors import DomainError
from tenants import schema_template
from tenants.models import FleetMigrationRecord, FleetMigrationRun, RunStatus, Tenant

logger = logging.getLogger(__name__)

_FLEET_LOCK_KEY = 7_341_002
_CHUNK = 200
Record = FleetMigrationRecord.Status
Progress = Callable[[str], None]


class FleetMigrationError(DomainError):
    pass


@dataclass(frozen=True)
class Target:
    schema_name: str
    tenant_id: int | None  # None for the provisioning template
    label: str

    @property
    def is_template(self) -> bool:
        return self.tenant_id is None


@dataclass
class Group:
    """Schemas that have applied the same migrations, hence share one plan."""

    applied: frozenset[tuple[str, str]]
    plan: list[Migration]
    members: list[Target] = field(default_factory=list)
    # Filled by the first successful executor run in this group:
    statements: list[tuple[str, Any]] | None = None
    recorded: list[tuple[str, str]] | None = None
    post_migrate_apps: Any = None  # set when post_migrate handlers changed rows and must run on every schema

    @property
    def replayable(self) -> bool:
        return all(_replayable(migration) for migration in self.plan)

    @property
    def names(self) -> list[str]:
        return [f"{m.app_label}.{m.name}" for m in self.plan]


@dataclass
class FleetPlan:
    groups: list[Group]
    up_to_date: int
    broken: dict[str, str]  # schema -> why it cannot be migrated

    def pending(self) -> list[tuple[Target, Group]]:
        return sorted(
            ((target, group) for group in self.groups for target in group.members),
            key=lambda pair: (not pair[0].is_template, pair[0].label),
        )


# --- Planning ----------------------------------------------------------------------------------------------------


def fleet_targets(*, schemas: Iterable[str] | None = None) -> list[Target]:
    """Every tenant whose schema exists, plus the provisioning template; optionally only the given schemas."""
    connection.set_schema_to_public()
    with connection.cursor() as cursor:
        cursor.execute("SELECT nspname FROM pg_namespace")
        existing = {row[0] for row in cursor.fetchall()}
    wanted = set(schemas) if schemas is not None else None
    targets = [
        Target(schema_name, tenant_id, slug)
        for tenant_id, schema_name, slug in Tenant.objects.exclude(schema_name="public")
        .order_by("slug")
        .values_list("pk", "schema_name", "slug")
        if schema_name in existing and (wanted is None or schema_name in wanted)
    ]
    template = schema_template.template_schema()
    if template in existing and (wanted is None or template in wanted):
        targets.insert(0, Target(template, None, f"(template {template})"))
    return targets


def _digest(migrations: Iterable[tuple[str, str]]) -> str:
    text = "\n".join(f"{app}.{name}" for app, name in sorted(migrations))
    return hashlib.md5(text.encode(), usedforsecurity=False).hexdigest()


def applied_digests(schemas: list[str]) -> tuple[dict[str, str], set[str]]:
    """Digest of each schema's applied migrations, a query per 200 schemas; and the schemas lacking the table."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT n.nspname FROM pg_namespace n JOIN pg_class c ON c.relnamespace = n.oid "
            "WHERE c.relname = 'django_migrations' AND c.relkind = 'r' AND n.nspname = ANY(%s)",
            [schemas],
        )
        with_table = {row[0] for row in cursor.fetchall()}
        digests: dict[str, str] = {}
        candidates = [s for s in schemas if s in with_table]
        for start in range(0, len(candidates), _CHUNK):
            chunk = candidates[start : start + _CHUNK]
            sql = " UNION ALL ".join(
                "SELECT %s, md5(coalesce(string_agg(app || '.' || name, E'\\n' "
                f'ORDER BY app COLLATE "C", name COLLATE "C"), \'\')) FROM {schema_template.quote(s)}.django_migrations'
                for s in chunk
            )
            cursor.execute(sql, chunk)
            digests.update(dict(cursor.fetchall()))
    return digests, set(schemas) - with_table


def _applied_in(schema_name: str) -> frozenset[tuple[str, str]]:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT app, name FROM {schema_template.quote(schema_name)}.django_migrations")
        return frozenset(cursor.fetchall())


def _tenant_apps() -> set[str]:
    return {app.rsplit(".", 1)[-1] for app in settings.TENANT_APPS}


def _replayable(migration: Migration) -> bool:
    """Whether applying `migration` to a tenant schema is nothing but SQL its schema editor executes."""
    if migration.app_label not in _tenant_apps():
        return True  # the router skips its operations in tenant schemas; only its row is recorded
    if not migration.atomic:
        return False

    def sql_only(operations: list) -> bool:
        for operation in operations:
            if isinstance(operation, SeparateDatabaseAndState):
                if not sql_only(operation.database_operations):
                    return False
            elif not operation.reduces_to_sql:
                return False
        return True

    return sql_only(migration.operations)


def _forward_plan(loader: MigrationLoader, applied: frozenset[tuple[str, str]]) -> list[Migration]:
    """What Django's executor would apply to reach every leaf, in order (as MigrationExecutor.migration_plan)."""
    plan: list[tuple[str, str]] = []
    seen = set(applied)
    for target in loader.graph.leaf_nodes():
        for node in loader.graph.forwards_plan(target):
            if node not in seen:
                seen.add(node)
                plan.append(node)
    return [loader.graph.nodes[key] for key in plan]


def fleet_plan(targets: list[Target]) -> FleetPlan:
    """Group the targets by applied migrations and compute each group's plan (nothing is written)."""
    loader = MigrationLoader(None, ignore_no_migrations=True)
    code_digest = _digest(loader.graph.nodes)
    digests, without_table = applied_digests([t.schema_name for t in targets])
    by_digest: dict[str, list[Target]] = {}
    up_to_date = 0
    for target in targets:
        digest = digests.get(target.schema_name)
        if digest is None:
            continue
        if digest == code_digest:
            up_to_date += 1
        else:
            by_digest.setdefault(digest, []).append(target)
    groups = []
    for members in by_digest.values():
        applied = _applied_in(members[0].schema_name)
        plan = _forward_plan(loader, applied)
        if plan:
            groups.append(Group(applied=applied, plan=plan, members=members))
        else:
            up_to_date += len(members)  # extra rows only (migrations deleted from disk): nothing to apply
    broken = {
        s: f"schema {s!r} has no django_migrations table; run manage.py migrate_schemas --schema {s}"
        for s in without_table
    }
    return FleetPlan(groups=groups, up_to_date=up_to_date, broken=broken)


# --- Applying ----------------------------------------------------------------------------------------------------


@contextmanager
def _recording_schema_editor(sink: list[tuple[str, Any]]):
    """Record every statement this thread's connection's schema editors execute (while still executing it)."""
    conn = connections[DEFAULT_DB_ALIAS]
    base = type(conn).SchemaEditorClass

    class RecordingSchemaEditor(base):
        def execute(self, sql, params=()):
            sink.append((str(sql), params))
            return super().execute(sql, params)

    conn.SchemaEditorClass = RecordingSchemaEditor
    try:
        yield sink
    finally:
        del conn.SchemaEditorClass


def _bookkeeping_counts() -> tuple[int, int]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT (SELECT count(*) FROM django_content_type), (SELECT count(*) FROM auth_permission)")
        return cursor.fetchone()


def _set_lock_timeout(seconds: float) -> None:
    with connection.cursor() as cursor:
        cursor.execute(f"SET LOCAL lock_timeout = '{int(seconds * 1000)}ms'")


def _migrate_with_executor(target: Target, group: Group, *, lock_timeout: float) -> None:
    """Django's executor on one schema, in one transaction; the first success fills the group's recording."""
    from django.contrib.contenttypes.models import ContentType

    statements: list[tuple[str, Any]] = []
    with transaction.atomic():
        connection.set_schema(target.schema_name)
        _set_lock_timeout(lock_timeout)
        before_rows = _applied_in(target.schema_name)
        before_counts = _bookkeeping_counts()
        executor = MigrationExecutor(connection)
        targets = executor.loader.graph.leaf_nodes()
        plan = executor.migration_plan(targets)
        with _recording_schema_editor(statements):
            state = executor.migrate(targets, plan=plan)
        ContentType.objects.clear_cache()
        emit_post_migrate_signal(0, False, connection.alias, apps=state.apps, plan=plan)
        ContentType.objects.clear_cache()
        changed_bookkeeping = _bookkeeping_counts() != before_counts
        recorded = sorted(_applied_in(target.schema_name) - before_rows)
        connection.set_schema_to_public()
    if (
        group.statements is None
        and group.replayable
        and [(m.app_label, m.name) for m, _ in plan] == [(m.app_label, m.name) for m in group.plan]
    ):
        group.statements = statements
        group.recorded = recorded
        group.post_migrate_apps = state.apps if changed_bookkeeping else None


def _replay(target: Target, group: Group, *, lock_timeout: float) -> None:
    """The group's recorded SQL and migration rows, on one schema, in one transaction."""
    from django.contrib.contenttypes.models import ContentType

    with transaction.atomic():
        connection.set_schema(target.schema_name)
        _set_lock_timeout(lock_timeout)
        with connection.cursor() as cursor:
            for sql, params in group.statements:
                cursor.execute(sql, params)
            cursor.execute(
                "INSERT INTO django_migrations (app, name, applied) "
                "SELECT unnest(%s::text[]), unnest(%s::text[]), now()",
                [[app for app, _ in group.recorded], [name for _, name in group.recorded]],
            )
        if group.post_migrate_apps is not None:
            ContentType.objects.clear_cache()
            emit_post_migrate_signal(0, False, connection.alias, apps=group.post_migrate_apps, plan=[])
            ContentType.objects.clear_cache()
        connection.set_schema_to_public()


def _error_text(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}".strip()[:4000]


class FleetMigrator:
    """One run of the fleet migration runner. Use `run_fleet_migration`."""

    def __init__(self, *, run: FleetMigrationRun, plan: FleetPlan, concurrency: int, lock_timeout: float,
                 progress: Progress) -> None:  # fmt: skip
        self.run = run
        self.plan = plan
        self.concurrency = max(1, concurrency)
        self.lock_timeout = lock_timeout
        self.progress = progress
        self.records: dict[str, int] = {}
        self.failed = 0

    def _start(self, record_id: int) -> float:
        FleetMigrationRecord.objects.filter(pk=record_id).update(status=Record.RUNNING, started_at=timezone.now())
        return time.monotonic()

    def _finish(self, record_id: int, started: float, *, status: str, method: str, error: str = "") -> None:
        duration = int((time.monotonic() - started) * 1000)
        FleetMigrationRecord.objects.filter(pk=record_id).update(
            status=status, method=method, error=error, duration_ms=duration
        )

    def migrate_one(self, target: Target, group: Group) -> bool:
        """Migrate one schema, replaying the group's recording when there is one. True when it succeeded."""
        record_id = self.records[target.schema_name]
        started = self._start(record_id)
        replay_error = ""
        if group.statements is not None:
            try:
                _replay(target, group, lock_timeout=self.lock_timeout)
            except Exception as exc:
                connection.set_schema_to_public()
                replay_error = _error_text(exc)
                logger.warning("replay failed on %s, retrying with the executor: %s", target.schema_name, exc)
            else:
                self._finish(record_id, started, status=Record.OK, method=FleetMigrationRecord.Method.REPLAY)
                return True
        try:
            _migrate_with_executor(target, group, lock_timeout=self.lock_timeout)
        except Exception as exc:
            connection.set_schema_to_public()
            error = _error_text(exc)
            if replay_error and replay_error != error:
                error = f"{error}\n(replay had failed first: {replay_error})"
            self._finish(record_id, started, status=Record.FAILED, method=FleetMigrationRecord.Method.EXECUTOR,
                         error=error)  # fmt: skip
            self.failed += 1
            self.progress(f"FAILED {target.label}: {error.splitlines()[0]}")
            return False
        self._finish(record_id, started, status=Record.OK, method=FleetMigrationRecord.Method.EXECUTOR)
        return True

    def rebuild_template(self, target: Target) -> bool:
        """The template is rebuilt rather than migrated in one transaction: built by migrations, one transaction per
        migration, in a scratch schema swapped in by a rename (see schema_template.rebuild_template)."""
        record_id = self.records[target.schema_name]
        started = self._start(record_id)
        try:
            schema_template.rebuild_template()
        except Exception as exc:
            connection.set_schema_to_public()
            error = _error_text(exc)
            self._finish(record_id, started, status=Record.FAILED, method=FleetMigrationRecord.Method.EXECUTOR,
                         error=error)  # fmt: skip
            self.failed += 1
            self.progress(f"FAILED {target.label}: {error.splitlines()[0]}")
            return False
        self._finish(record_id, started, status=Record.OK, method=FleetMigrationRecord.Method.EXECUTOR)
        return True

    def _run_parallel(self, work: list[tuple[Target, Group]]) -> None:
        """`concurrency` threads, each with its own database connection, take schemas off one queue."""
        if self.concurrency == 1 or len(work) < 2:
            for target, group in work:
                self.migrate_one(target, group)
            return
        queue: SimpleQueue[tuple[Target, Group]] = SimpleQueue()
        for item in work:
            queue.put(item)
        errors: list[BaseException] = []

        def worker() -> None:
            try:
                while True:
                    try:
                        target, group = queue.get_nowait()
                    except Empty:
                        return
                    self.migrate_one(target, group)
            except BaseException as exc:  # recording itself failed: let the caller see it
                errors.append(exc)
            finally:
                connections.close_all()

        threads = [threading.Thread(target=worker, name=f"fleet-{i}") for i in range(self.concurrency)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        if errors:
            raise errors[0]

    def execute(self, canary: Target | None) -> None:
        pending = self.plan.pending()
        FleetMigrationRecord.objects.bulk_create(
            [
                FleetMigrationRecord(
                    run=self.run,
                    tenant_id=target.tenant_id,
                    schema_name=target.schema_name,
                    migrations="\n".join(group.names),
                )
                for target, group in pending
            ]
        )
        self.records = dict(FleetMigrationRecord.objects.filter(run=self.run).values_list("schema_name", "pk"))
        for schema_name, reason in self.plan.broken.items():
            FleetMigrationRecord.objects.create(
                run=self.run, schema_name=schema_name, status=Record.FAILED, error=reason, migrations=""
            )
            self.failed += 1
        done: set[str] = set()
        group_of = {target.schema_name: group for target, group in pending}

        # 1. The canary: stop everything if it fails.
        if canary is not None:
            self.progress(f"canary {canary.label}: {len(group_of[canary.schema_name].plan)} migration(s)")
            done.add(canary.schema_name)
            if not self.migrate_one(canary, group_of[canary.schema_name]):
                FleetMigrationRecord.objects.filter(run=self.run, status=Record.PENDING).update(status=Record.SKIPPED)
                self.run.status = RunStatus.STOPPED
                return

        # 2. The provisioning template, so tenants created from now on get the new schema; then its stored dump.
        for target, _group in pending:
            if target.is_template and target.schema_name not in done:
                done.add(target.schema_name)
                self.progress(f"template {target.schema_name}")
                with _template_lock():
                    ok = self.rebuild_template(target)
                if ok:
                    # Stores the template's new dump and replaces spare schemas built from the old one.
                    schema_template.refill_spare_schemas()

        # 3. Each other group's first schema by the executor (it records the group's SQL), serially.
        for group in self.plan.groups:
            if group.statements is not None or not group.replayable:
                continue
            for target in group.members:
                if target.schema_name in done:
                    continue
                done.add(target.schema_name)
                if self.migrate_one(target, group) and group.statements is not None:
                    break

        # 4. Everyone else, `concurrency` schemas at a time (post_migrate handlers and the executor: one at a time).
        rest = [(t, g) for t, g in pending if t.schema_name not in done]
        parallel = [(t, g) for t, g in rest if g.statements is not None and g.post_migrate_apps is None]
        in_parallel = {t.schema_name for t, _ in parallel}
        serial = [(t, g) for t, g in rest if t.schema_name not in in_parallel]
        self.progress(f"{len(parallel)} schema(s) by replay ({self.concurrency} at a time), {len(serial)} serially")
        self._run_parallel(parallel)
        for target, group in serial:
            self.migrate_one(target, group)
        self.run.status = RunStatus.OK  # FAILED if any record failed: decided from the records at the end


@contextmanager
def _template_lock():
    """The lock provisioning holds while it refreshes the template (advisory locks nest within a session)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_lock(%s)", [schema_template._TEMPLATE_LOCK_KEY])
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_unlock(%s)", [schema_template._TEMPLATE_LOCK_KEY])


class _RunHolder:
    """The fleet lock, held for the run's life by a session of its own (not Django's connection, which the run
    closes and reopens): when the process dies, PostgreSQL ends the session and the lock is gone with it. A run whose
    recorded `holder_pid` no longer holds the lock was abandoned (see `close_abandoned_runs`)."""

    def __init__(self) -> None:
        params = connection.get_connection_params()
        params.pop("cursor_factory", None)  # the tenant-context cursor belongs to Django's own connection
        self.conn = psycopg.connect(**params, autocommit=True)

    def __enter__(self) -> _RunHolder:
        row = self.conn.execute("SELECT pg_try_advisory_lock(%s), pg_backend_pid()", [_FLEET_LOCK_KEY]).fetchone()
        if not row[0]:
            self.conn.close()
            raise FleetMigrationError("another fleet migration is running; wait for it to finish")
        self.pid = row[1]
        return self

    def __exit__(self, *exc_info) -> None:
        self.conn.close()  # ends the session, and the lock with it


def _live_holders() -> set[int]:
    """Backends holding the fleet lock in this database (at most one)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND granted AND classid = 0 AND objid = %s "
            "AND objsubid = 1 AND database = (SELECT oid FROM pg_database WHERE datname = current_database())",
            [_FLEET_LOCK_KEY],
        )
        return {row[0] for row in cursor.fetchall()}


def close_abandoned_runs() -> list[FleetMigrationRun]:
    """Close every run left `running` by a process that died (its session no longer holds the fleet lock).

    The schema it was migrating was rolled back with its session: that record becomes `failed`, the schemas it had
    not reached `skipped`; `--retry-failed` then takes them all.
    """
    connection.set_schema_to_public()
    running = list(FleetMigrationRun.objects.filter(status=RunStatus.RUNNING))
    if not running:
        return []
    live = _live_holders()
    closed = []
    for run in running:
        if run.holder_pid in live or (run.holder_pid is None and live):
            continue
        with transaction.atomic():
            run = FleetMigrationRun.objects.select_for_update().get(pk=run.pk)
            if run.status != RunStatus.RUNNING:
                continue
            run.records.filter(status=Record.RUNNING).update(
                status=Record.FAILED,
                error="abandoned: the run's process died while migrating this schema; its transaction was rolled back",
            )
            run.records.filter(status=Record.PENDING).update(status=Record.SKIPPED)
            counts = dict(run.records.values_list("status").annotate(n=Count("id")))
            run.status = RunStatus.ABANDONED
            run.finished_at = timezone.now()
            done = ", ".join(f"{n} {status}" for status, n in sorted(counts.items())) or "nothing recorded"
            run.summary = f"abandoned (its process died; closed at {run.finished_at:%Y-%m-%d %H:%M:%S}): {done}"
            run.save(update_fields=["status", "finished_at", "summary"])
        logger.warning("fleet migration #%s was abandoned by its process; closed", run.pk)
        closed.append(run)
    return closed


def _undone_of_last_run() -> tuple[FleetMigrationRun, list[str]]:
    """The newest run and every schema it did not finish: failed, and never reached or cut off (pending, running,
    skipped). An older run is never considered: what it left undone was either finished since or is in the newest."""
    last = FleetMigrationRun.objects.order_by("-started_at", "-pk").first()
    if last is None:
        raise FleetMigrationError("no fleet migration has run yet; nothing to retry")
    undone = list(last.records.exclude(status=Record.OK).values_list("schema_name", flat=True))
    if not undone:
        raise FleetMigrationError(f"the last fleet migration (#{last.pk}, {last.status}) left nothing to retry")
    return last, undone


def run_fleet_migration(
    *,
    actor: str,
    canary_slug: str | None = None,
    concurrency: int = 4,
    retry_failed: bool = False,
    schemas: list[str] | None = None,
    lock_timeout: float = 10.0,
    progress: Progress = logger.info,
) -> FleetMigrationRun:
    """Migrate every tenant schema and the template; the canary first (the run stops if it fails), then the rest.

    Each schema is migrated in its own transaction and gets a record (status, error, duration) in the run.
    """
    if connection.in_atomic_block:
        raise FleetMigrationError("the fleet migration commits per schema; do not call it inside a transaction")
    connection.set_schema_to_public()
    with _RunHolder() as holder:
        close_abandoned_runs()
        retry_of = None
        if retry_failed:
            retry_of, schemas = _undone_of_last_run()
        targets = fleet_targets(schemas=schemas)
        plan = fleet_plan(targets)
        canary = _choose_canary(plan, canary_slug)
        run = FleetMigrationRun.objects.create(
            actor=actor,
            canary=canary.schema_name if canary else "",
            retry_of=retry_of,
            up_to_date=plan.up_to_date,
            holder_pid=holder.pid,
        )
        migrator = FleetMigrator(
            run=run, plan=plan, concurrency=concurrency, lock_timeout=lock_timeout, progress=progress
        )
        try:
            migrator.execute(canary)
        except BaseException:
            run.status = RunStatus.FAILED
            raise
        finally:
            connection.set_schema_to_public()
            close_old_connections()
            counts = dict(run.records.values_list("status").annotate(n=Count("id")))
            if run.status == RunStatus.RUNNING or (run.status == RunStatus.OK and counts.get(Record.FAILED)):
                run.status = RunStatus.FAILED if counts.get(Record.FAILED) else RunStatus.OK
            run.summary = ", ".join(f"{n} {status}" for status, n in sorted(counts.items())) or "nothing to apply"
            run.summary += f"; {plan.up_to_date} up to date"
            run.finished_at = timezone.now()
            run.save(update_fields=["status", "summary", "finished_at"])
    return run


def _choose_canary(plan: FleetPlan, canary_slug: str | None) -> Target | None:
    tenants = [target for target, _ in plan.pending() if not target.is_template]
    if canary_slug is not None:
        for target in tenants:
            if target.label == canary_slug:
                return target
        raise FleetMigrationError(f"canary {canary_slug!r} is not a tenant with pending migrations")
    if not tenants:
        return None
    # The first tenant of the largest group, so its recording serves the most schemas.
    largest = max(plan.groups, key=lambda g: len([t for t in g.members if not t.is_template]))
    return next((t for t in largest.members if not t.is_template), tenants[0])
