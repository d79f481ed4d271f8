"""`tenant_move`: the steps of an online move, each recorded in its TenantMove before and after it runs.

    capture         triggers on the source record the key of every row written from now on (cells.move.capture)
    copy            structure (pg_dump) and rows (COPY) in one REPEATABLE READ snapshot of the source, while it is live
    catch_up        passes re-copy the rows the captured changes name, until few are left
    freeze          writes paused: the Redis key (503 at the door) and the advisory lock (the database refuses writes
                    and we wait out the ones in flight)
    final_catch_up  the last changes, and the sequences set to the source's values
    verify          row counts and checksums of every table on both sides; any difference rolls the move back
    fence           the source refuses writes for good (before the flip, so a stale route cannot write there)
    flip            Tenant.cell = target and the move's state, in one control-plane transaction
    unfreeze        the Redis key dropped and the advisory lock released

Until the flip commits, the registry names the source and everything done can be undone: a failure rolls back at
once (triggers and fence removed, target schema and role dropped); a killed mover leaves a `running` TenantMove that
the next `tenant_move` of that tenant (or `--abort`) rolls back before starting again, and the freeze dies with the
mover's session (the Redis key expires). After the flip the target serves the tenant; the source schema is kept,
fenced, until `drop_source_after`, then `move_finish` drops it.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import psycopg
from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from cells.config import DEFAULT_CELL
from cells.models import TenantMove
from cells.move import capture, freeze, verify
from cells.move import copy as copying
from cells.move.conn import cell_names, connect, conninfo, same_database, value
from cells.move.errors import MoveError
from fleet.audit import audit
from fleet.models import TenantAuditEvent
from tenants.models import Tenant
from tenants.routing import registry_changed

STEPS = ("capture", "copy", "catch_up", "freeze", "final_catch_up", "verify", "fence", "flip", "unfreeze")
# Called as STEP_HOOK(step, "started" | "done") once each is recorded: tests kill the move there.
STEP_HOOK: Callable[[str, str], None] | None = None

CATCH_UP_SMALL = 500  # changes few enough to apply inside the freeze
CATCH_UP_PASSES = 30
CATCH_UP_BATCH = 20_000
FREEZE_WAIT_SECONDS = 3  # writers in flight must finish within this; else the freeze is lifted and tried again
FREEZE_TRIES = 5
ASSUMED_COPY_BYTES_PER_SECOND = 40_000_000  # for a dry run's estimate only


def _grace() -> timedelta:
    return timedelta(seconds=getattr(settings, "CELLS_MOVE_GRACE_SECONDS", 24 * 3600))


# --- Entry points --------------------------------------------------------------------------------------------------


def tenant_move(
    *, tenant: Tenant, target: str, actor: str, dry_run: bool = False, drop_source_after: timedelta | None = None
) -> TenantMove:
    """Move the tenant's schema to the cell `target` while it stays live; returns the finished (or planned) move.

    A move of this tenant left running by a killed process is rolled back first, then the move starts afresh."""
    connection.set_schema_to_public()  # type: ignore[attr-defined]
    with _mover_lock(tenant):
        for stale in TenantMove.objects.filter(tenant=tenant, state=TenantMove.State.RUNNING):
            _rollback(stale, error=f"killed at step {stale.step} ({'done' if stale.step_done else 'started'}); "
                                   "rolled back by the next run")  # fmt: skip
        for flipped in TenantMove.objects.filter(tenant=tenant, state=TenantMove.State.FLIPPED):
            _complete_unfreeze(flipped)
        tenant.refresh_from_db()
        done = TenantMove.objects.filter(tenant=tenant, target=target, state=TenantMove.State.FLIPPED).first()
        if done is not None and tenant.cell == target and not dry_run:
            return done  # a rerun of a move killed after its flip: it is complete
        if dry_run:
            return move_plan(tenant=tenant, target=target, actor=actor)
        _check(tenant, target)
        move = TenantMove.objects.create(
            tenant=tenant, tenant_slug=tenant.slug, schema_name=tenant.schema_name, source=tenant.cell,
            target=target, actor=actor,
        )  # fmt: skip
        audit(tenant=tenant, action=TenantAuditEvent.Action.MOVE, actor=actor, move=move.pk, phase="start",
              source=move.source, target=target)  # fmt: skip
        try:
            _run(move, tenant)
        except Exception as exc:
            message = str(exc) if isinstance(exc, MoveError) else f"{type(exc).__name__}: {exc}"
            _rollback(move, error=message)
            raise MoveError(
                f"move of {tenant.slug} to {target} failed at step {move.step} and was rolled back: {message}"
            ) from exc
    wait = drop_source_after if drop_source_after is not None else _grace()
    TenantMove.objects.filter(pk=move.pk).update(drop_source_after=timezone.now() + wait)
    move.refresh_from_db()
    if wait.total_seconds() <= 0:
        move_finish(actor=actor, move=move)
        move.refresh_from_db()
    return move


@contextlib.contextmanager
def _mover_lock(tenant: Tenant) -> Iterator[None]:
    """One mover per tenant at a time, held by a control-plane session: a `running` move whose lock is free belongs
    to a dead process (safe to roll back); one whose lock is held is being moved right now."""
    key = capture.freeze_key(f"mover:{tenant.pk}")
    with connect(DEFAULT_CELL, application="tenant_move mover") as session:
        if not value(session, "SELECT pg_try_advisory_lock(%s)", [key]):
            raise MoveError(f"another tenant_move of {tenant.slug!r} is running; let it finish or stop it first")
        yield


def move_plan(*, tenant: Tenant, target: str, actor: str) -> TenantMove:
    """What a move would do, recorded as a dry run: table sizes and an estimate; the tenant and the cells are not
    touched."""
    _check(tenant, target)
    with connect(tenant.cell) as source:
        sizes = copying.table_sizes(source, tenant.schema_name)
        sequences = value(
            source,
            "SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname = %s AND c.relkind = 'S'",
            [tenant.schema_name],
        )
    total = sum(size for _, _, size in sizes)
    move = TenantMove.objects.create(
        tenant=tenant, tenant_slug=tenant.slug, schema_name=tenant.schema_name, source=tenant.cell, target=target,
        actor=actor, dry_run=True, state=TenantMove.State.DRY_RUN, finished_at=timezone.now(),
        counts={name: {"rows": rows, "bytes": size} for name, rows, size in sizes},
        timings={"tables": len(sizes), "sequences": sequences, "bytes": total,
                 "estimated_copy_seconds": round(total / ASSUMED_COPY_BYTES_PER_SECOND, 1)},
    )  # fmt: skip
    audit(tenant=tenant, action=TenantAuditEvent.Action.MOVE, actor=actor, move=move.pk, phase="dry-run",
          source=tenant.cell, target=target, bytes=total)  # fmt: skip
    return move


def move_abort(*, tenant: Tenant, actor: str) -> TenantMove | None:
    """Roll back the tenant's move left running (a killed process); None when there is none."""
    with _mover_lock(tenant):
        move = TenantMove.objects.filter(tenant=tenant, state=TenantMove.State.RUNNING).first()
        if move is not None:
            _rollback(move, error=f"aborted by {actor} at step {move.step}")
            move.refresh_from_db()
    return move


def move_finish(*, actor: str, move: TenantMove | None = None, now=None) -> list[TenantMove]:
    """Drop the kept source schema (and its role there) of flipped moves whose grace has ended, or of `move`."""
    connection.set_schema_to_public()  # type: ignore[attr-defined]
    if move is not None:
        due = [move]
    else:
        due = list(TenantMove.objects.filter(state=TenantMove.State.FLIPPED,
                                             drop_source_after__lte=now or timezone.now()))  # fmt: skip
    finished = []
    for item in due:
        tenant = Tenant.objects.filter(pk=item.tenant_id).first()
        if item.state != TenantMove.State.FLIPPED or (tenant is not None and tenant.cell == item.source):
            continue  # never drop the schema the registry names
        _complete_unfreeze(item)
        with connect(item.source) as source:
            copying.drop_schema(source, item.schema_name)
            copying.drop_role(source, item.schema_name, conninfo(item.source)["dbname"])
            capture.remove(source, item.schema_name)
        with transaction.atomic():
            TenantMove.objects.filter(pk=item.pk).update(state=TenantMove.State.FINISHED, finished_at=timezone.now())
            if tenant is not None:
                audit(tenant=tenant, action=TenantAuditEvent.Action.MOVE, actor=actor, move=item.pk,
                      phase="source dropped", source=item.source)  # fmt: skip
        item.refresh_from_db()
        finished.append(item)
    return finished


# --- Checks ----------------------------------------------------------------------------------------------------------


def _check(tenant: Tenant, target: str) -> None:
    if target not in cell_names():
        raise MoveError(f"unknown cell {target!r}: configured cells are {', '.join(cell_names())}")
    if target == tenant.cell:
        raise MoveError(f"tenant {tenant.slug!r} already lives on cell {target!r}")
    if tenant.status not in (Tenant.Status.ACTIVE, Tenant.Status.SUSPENDED):
        raise MoveError(f"tenant {tenant.slug!r} is {tenant.status}; only an active or suspended tenant moves")
    if same_database(tenant.cell, target):
        raise MoveError(f"cells {tenant.cell!r} and {target!r} are the same database; nothing to move")
    with connect(tenant.cell) as source:
        if not copying.schema_exists(source, tenant.schema_name):
            raise MoveError(f"schema {tenant.schema_name!r} is not on cell {tenant.cell!r}, where the registry says")
        capture.tables(source, tenant.schema_name)  # refuses a table without a one-column primary key
    with connect(target) as into:
        if copying.schema_exists(into, tenant.schema_name):
            kept = TenantMove.objects.filter(schema_name=tenant.schema_name, source=target,
                                             state=TenantMove.State.FLIPPED).first()  # fmt: skip
            hint = f" (the source kept by move #{kept.pk}: run `tenant_move --finish {tenant.slug}`)" if kept else ""
            raise MoveError(f"cell {target!r} already has a schema {tenant.schema_name!r}{hint}")
        superuser = value(into, "SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
        if not superuser:
            raise MoveError(f"the login of cell {target!r} must be a superuser to load rows without firing triggers")


# --- The steps -------------------------------------------------------------------------------------------------------


@contextlib.contextmanager
def _step(move: TenantMove, name: str) -> Iterator[None]:
    move.step, move.step_done = name, False
    move.save(update_fields=["step", "step_done", "updated_at"])
    _hook(name, "started")
    started = time.monotonic()
    yield
    move.timings[name] = round(time.monotonic() - started, 3)
    move.step_done = True
    move.save(update_fields=["step_done", "timings", "changes_applied", "counts", "freeze_seconds", "updated_at"])
    _hook(name, "done")


def _hook(step: str, phase: str) -> None:
    if STEP_HOOK is not None:
        STEP_HOOK(step, phase)


def _run(move: TenantMove, tenant: Tenant) -> None:
    schema = tenant.schema_name
    with connect(move.source) as source, connect(move.target) as target:
        source.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ  # for the transactions opened below
        with _step(move, "capture"):
            capture.install(source, schema)
        with _step(move, "copy"):
            move.counts = {"bytes_copied": _copy(move, source, target)}
        tables = {table.name: table for table in capture.tables(source, schema)}
        with _step(move, "catch_up"):
            for _ in range(CATCH_UP_PASSES):
                move.changes_applied += _catch_up_pass(source, target, schema, tables)
                if capture.backlog(source, schema) <= CATCH_UP_SMALL:
                    break
        with connect(move.source, application="tenant_move freeze") as guard:
            with _step(move, "freeze"):
                frozen_at = _freeze(move, guard, source, target, tables)
            with _step(move, "final_catch_up"):
                while applied := _catch_up_pass(source, target, schema, tables):
                    move.changes_applied += applied
                with target.transaction():
                    copying.copy_sequences(source, target, schema)
            with _step(move, "verify"):
                move.counts = {**move.counts, "tables": verify.compare(source, target, schema)}
            with _step(move, "fence"):
                capture.fence(source, schema, move.pk)
            _flip(move, tenant)
            with _step(move, "unfreeze"):
                freeze.unfreeze(schema)
                guard.execute("SELECT pg_advisory_unlock_all()")
                move.freeze_seconds = round(time.monotonic() - frozen_at, 3)


def _freeze(move: TenantMove, guard: psycopg.Connection, source: psycopg.Connection, target: psycopg.Connection,
            tables: dict) -> float:  # fmt: skip
    """Pause the tenant's writes and wait out those in flight; returns when the freeze began. A writer that holds on
    past FREEZE_WAIT_SECONDS (a long import) lifts the freeze for a catch-up pass and a second try, FREEZE_TRIES in
    all, rather than keeping every other write waiting."""
    schema = move.schema_name
    guard.execute(f"SET lock_timeout = '{FREEZE_WAIT_SECONDS}s'")
    for attempt in range(1, FREEZE_TRIES + 1):
        frozen_at = time.monotonic()
        freeze.freeze(schema, move.pk)
        try:
            guard.execute("SELECT pg_advisory_lock(%s)", [capture.freeze_key(schema)])
            return frozen_at
        except psycopg.errors.LockNotAvailable:
            freeze.unfreeze(schema)
            if attempt == FREEZE_TRIES:
                break
            time.sleep(1.0)
            move.changes_applied += _catch_up_pass(source, target, schema, tables)
    raise MoveError(f"writes in flight did not finish within {FREEZE_WAIT_SECONDS} s, {FREEZE_TRIES} times")


def _copy(move: TenantMove, source: psycopg.Connection, target: psycopg.Connection) -> int:
    """Structure and rows as one snapshot of the source sees them; the changes that snapshot already holds are
    dropped from the capture table once the target has committed."""
    schema = move.schema_name
    copied = 0
    with source.transaction():
        snapshot = value(source, "SELECT pg_export_snapshot()")
        tables = capture.tables(source, schema)
        with ThreadPoolExecutor(max_workers=2) as pool:  # two pg_dump runs of the same snapshot, side by side
            pre_dump = pool.submit(copying.schema_ddl, move.source, schema, snapshot, "pre-data")
            post_dump = pool.submit(copying.schema_ddl, move.source, schema, snapshot, "post-data")
            pre, post = pre_dump.result(), post_dump.result()
        with target.transaction():
            target.execute("SET LOCAL session_replication_role = replica")
            copying.run_ddl(target, pre)
            for table in tables:
                copied += copying.copy_table(source, target, schema, table)
            copying.run_ddl(target, post)  # indexes after the rows: one sort each instead of row-by-row upkeep
            copying.grant_tenant_role(target, schema, conninfo(move.target)["dbname"])
        source.execute("DELETE FROM _move.changes WHERE schema_name = %s", [schema])
    return copied


def _catch_up_pass(source: psycopg.Connection, target: psycopg.Connection, schema: str, tables: dict) -> int:
    with source.transaction(), target.transaction():
        target.execute("SET LOCAL session_replication_role = replica")
        applied = copying.apply_changes(source, target, schema, tables, CATCH_UP_BATCH)
    if applied:  # the target has committed them: a crash before this line only means applying them again
        source.execute("DELETE FROM _move.changes WHERE id = ANY(%s)", [applied])
    return len(applied)


def _flip(move: TenantMove, tenant: Tenant) -> None:
    move.step, move.step_done = "flip", False
    move.save(update_fields=["step", "step_done", "updated_at"])
    _hook("flip", "started")
    started = time.monotonic()
    with transaction.atomic():
        locked = Tenant.objects.select_for_update().get(pk=tenant.pk)
        if locked.cell != move.source:
            raise MoveError(f"the registry moved {tenant.slug} to {locked.cell!r} meanwhile; nothing flipped")
        locked.cell = move.target
        locked.save(update_fields=["cell", "updated_at"])  # the version trigger and the signal drop routing caches
        move.state, move.step_done = TenantMove.State.FLIPPED, True
        move.timings["flip"] = round(time.monotonic() - started, 3)
        move.save(update_fields=["state", "step_done", "timings", "counts", "changes_applied", "updated_at"])
        audit(tenant=locked, action=TenantAuditEvent.Action.MOVE, actor=move.actor, move=move.pk, phase="flipped",
              source=move.source, target=move.target, changes_applied=move.changes_applied)  # fmt: skip
        registry_changed()
    tenant.cell = move.target
    _hook("flip", "done")


def _complete_unfreeze(move: TenantMove) -> None:
    """A flipped move killed before its unfreeze: drop the Redis key it left (the lock went with its session)."""
    if move.step == "unfreeze" and move.step_done:
        return
    freeze.unfreeze(move.schema_name)
    TenantMove.objects.filter(pk=move.pk).update(step="unfreeze", step_done=True, updated_at=timezone.now())
    move.refresh_from_db()


def _rollback(move: TenantMove, *, error: str) -> None:
    """Undo a move whose flip has not committed: capture and fence off the source, the copy and its role off the
    target, the freeze lifted. Idempotent; refuses if the registry names the target (then nothing is undone)."""
    connection.set_schema_to_public()  # type: ignore[attr-defined]
    tenant = Tenant.objects.filter(pk=move.tenant_id).first()
    if tenant is not None and tenant.cell == move.target:
        raise MoveError(f"move #{move.pk}: the registry already names {move.target!r}; it cannot be rolled back")
    with connect(move.source) as source:
        capture.remove(source, move.schema_name)
    if not same_database(move.source, move.target):
        with connect(move.target) as target:
            copying.drop_schema(target, move.schema_name)
            copying.drop_role(target, move.schema_name, conninfo(move.target)["dbname"])
    freeze.unfreeze(move.schema_name)
    with transaction.atomic():
        TenantMove.objects.filter(pk=move.pk).update(
            state=TenantMove.State.ROLLED_BACK, error=error[:2000], finished_at=timezone.now()
        )
        if tenant is not None:
            audit(tenant=tenant, action=TenantAuditEvent.Action.MOVE, actor=move.actor, move=move.pk,
                  phase="rolled back", error=error[:500])  # fmt: skip
