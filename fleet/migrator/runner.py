"""One fleet run: canary, template, each group's first schema, then everyone else `concurrency` at a time."""

from __future__ import annotations

import logging
import threading
import time
from contextlib import contextmanager
from queue import Empty, SimpleQueue

from django.db import connection, connections
from django.utils import timezone

from cells import routing
from fleet.migrator.apply import _error_text, _migrate_with_executor, _replay
from fleet.migrator.plan import FleetPlan, Group, Progress, Record, Target
from fleet.models import FleetMigrationRecord, FleetMigrationRun, RunStatus
from tenants import schema_template

logger = logging.getLogger(__name__)


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
        cell = routing.current_cell()

        def worker() -> None:
            try:
                routing.switch(cell)  # a new thread starts on the control plane
                while True:
                    try:
                        target, group = queue.get_nowait()
                    except Empty:
                        return
                    self.migrate_one(target, group)
            except BaseException as exc:  # recording itself failed: let the caller see it
                errors.append(exc)
            finally:
                routing.switch(routing.DEFAULT_CELL)
                routing.close_cell_connections()
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
