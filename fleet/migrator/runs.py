"""A run's lifetime: the fleet lock held while it lives, runs whose process died closed as abandoned, retries of
what the last run left undone, and the entry point `run_fleet_migration`."""

from __future__ import annotations

import logging
import threading
from typing import Any

import psycopg
from django.core.management import call_command
from django.db import close_old_connections, connection, connections, transaction
from django.db.models import Count
from django.utils import timezone

from cells.routing import close_cell_connections, current_cell, on_cell
from fleet.migrator.plan import (
    _FLEET_LOCK_KEY,
    FleetMigrationError,
    FleetPlan,
    Progress,
    Record,
    Target,
    fleet_plan,
    fleet_targets,
)
from fleet.migrator.runner import FleetMigrator
from fleet.models import FleetMigrationRun, RunStatus

logger = logging.getLogger(__name__)


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
    # A run holds the fleet lock of its own cell's server: only this cell's runs can be judged here.
    running = list(FleetMigrationRun.objects.filter(status=RunStatus.RUNNING, cell=current_cell()))
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
    last = FleetMigrationRun.objects.filter(cell=current_cell()).order_by("-started_at", "-pk").first()
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
    """Migrate every tenant schema and the template of the current cell; the canary first (the run stops if it
    fails), then the rest. Each schema is migrated in its own transaction and gets a record (status, error,
    duration) in the run. See `run_fleet_migration_on_cells` for every cell at once.
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
            cell=current_cell(),
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


def run_fleet_migration_on_cells(
    *,
    cells: list[str],
    concurrency: int = 4,
    migrate_shared: bool = True,
    progress: Progress = logger.info,
    **options: Any,
) -> dict[str, FleetMigrationRun | BaseException]:
    """`run_fleet_migration` on each of `cells` at once, a thread per cell, each migrating `concurrency` schemas at a
    time on its own server (its own fleet lock, run and records). Each cell's public schema is migrated first. A
    cell that fails to run (its lock taken, its server down) is reported by its exception; the others go on."""
    outcomes: dict[str, FleetMigrationRun | BaseException] = {}

    def migrate_cell(cell: str) -> None:
        try:
            with on_cell(cell):
                connection.set_schema_to_public()
                if migrate_shared:
                    call_command("migrate_schemas", shared=True, interactive=False, verbosity=0, skip_checks=True)
                outcomes[cell] = run_fleet_migration(
                    concurrency=concurrency, progress=lambda line: progress(f"[{cell}] {line}"), **options
                )
        except BaseException as exc:
            outcomes[cell] = exc
        finally:
            close_cell_connections()
            connections.close_all()

    threads = [threading.Thread(target=migrate_cell, args=(cell,), name=f"fleet-cell-{cell}") for cell in cells]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return {cell: outcomes[cell] for cell in cells}


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
