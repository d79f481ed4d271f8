"""Moving a tenant between two real PostgreSQL servers: the copy, the catch-up under load, the freeze as clients see
it, verification, the flip, and a move killed at every step."""

from __future__ import annotations

import signal
import subprocess
import sys
import threading
import time
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection
from django.test import Client
from django_tenants.utils import tenant_context
from psycopg import sql

from access.services import api_key_create
from cells.models import TenantMove
from cells.move import MoveError, capture, freeze, runner, tenant_move
from cells.move.conn import connect
from cells.move.verify import digests
from core.retry import _sqlstate
from fleet.models import TenantAuditEvent
from tenants.models import Tenant
from tests.cells import move_fixtures
from tests.cells.move_fixtures import SEED

# The fixtures these tests use (kept out of conftest.py: see move_fixtures).
db = move_fixtures.db
second_server = move_fixtures.second_server
cells = move_fixtures.cells
stocked_tenant = move_fixtures.stocked_tenant

pytestmark = pytest.mark.usefixtures("db")


def ledger(cell: str, schema_name: str) -> tuple[Decimal, Decimal, int]:
    """(sum of the stock moves' quantities, sum of the levels' on hand, number of moves) on `cell`."""
    with connect(cell) as conn:
        moves, count = conn.execute(
            sql.SQL("SELECT coalesce(sum(quantity), 0), count(*) FROM {}").format(
                sql.Identifier(schema_name, "inventory_stockmove")
            )
        ).fetchone()
        on_hand = conn.execute(
            sql.SQL("SELECT coalesce(sum(on_hand), 0) FROM {}").format(
                sql.Identifier(schema_name, "inventory_stocklevel")
            )
        ).fetchone()[0]
    return moves, on_hand, count


def has_schema(cell: str, schema_name: str) -> bool:
    with connect(cell) as conn:
        return conn.execute("SELECT EXISTS (SELECT FROM pg_namespace WHERE nspname = %s)", [schema_name]).fetchone()[0]


def capture_triggers(cell: str, schema_name: str) -> int:
    with connect(cell) as conn:
        return conn.execute(
            "SELECT count(*) FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid JOIN pg_namespace n "
            "ON n.oid = c.relnamespace WHERE n.nspname = %s AND t.tgname = ANY(%s)",
            [schema_name, [capture.TRIGGER, capture.TRUNCATE_TRIGGER]],
        ).fetchone()[0]


def receive(tenant: Tenant, quantity: Decimal) -> None:
    from inventory.models import Item, Location
    from inventory.services import stock_receive

    with tenant_context(tenant):
        stock_receive(item=Item.objects.get(sku="MV-1"), location=Location.objects.get(code="MV"),
                      quantity=quantity, user=None, reference="load")  # fmt: skip


class Writer(threading.Thread):
    """Posts receipts of 1 unit through the inventory service until stopped; counts what was accepted and refused."""

    def __init__(self, tenant: Tenant) -> None:
        super().__init__(daemon=True)
        self.tenant, self.stop = tenant, threading.Event()
        self.accepted = self.refused = 0
        self.errors: list[BaseException] = []

    def run(self) -> None:
        try:
            while not self.stop.is_set():
                try:
                    receive(self.tenant, Decimal(1))
                    self.accepted += 1
                except DatabaseError as exc:
                    if _sqlstate(exc) != capture.FROZEN_SQLSTATE:
                        raise
                    self.refused += 1
                    time.sleep(0.01)
        except BaseException as exc:
            self.errors.append(exc)
        finally:
            connection.close()


def test_a_move_copies_every_table_and_flips_the_registry(stocked_tenant, cells):
    schema = stocked_tenant.schema_name
    move = tenant_move(tenant=stocked_tenant, target="cell2", actor="test")
    stocked_tenant.refresh_from_db()
    assert stocked_tenant.cell == "cell2"
    assert move.state == TenantMove.State.FLIPPED and move.step == "unfreeze" and move.step_done
    with connect("default") as source, connect("cell2") as target:
        assert digests(source, schema) == digests(target, schema)
    assert ledger("cell2", schema) == (SEED, SEED, 10)
    assert move.counts["tables"]["inventory_stockmove"] == 10
    assert capture_triggers("cell2", schema) == 0
    phases = [e.details["phase"] for e in TenantAuditEvent.objects.filter(tenant_slug=stocked_tenant.slug,
                                                                          action="move").order_by("pk")]  # fmt: skip
    assert phases == ["start", "flipped"]


def test_after_the_move_the_tenants_host_is_served_by_the_target_cell(stocked_tenant, cells):
    from django.conf import settings

    from tenants.routing import routing_cache

    with tenant_context(stocked_tenant):
        from django.contrib.auth import get_user_model

        user = get_user_model().objects.get(username="boss")
        key = api_key_create(name="sync", scope="read_write", user=user, created_by=None).key
    connection.set_schema_to_public()
    tenant_move(tenant=stocked_tenant, target="cell2", actor="test")
    routing_cache.clear()
    client = Client(HTTP_HOST=f"{stocked_tenant.slug}.{settings.BASE_DOMAIN}", HTTP_AUTHORIZATION=f"Api-Key {key}")
    # the source is fenced (it refuses writes for good): a write that succeeds was written on the target
    created = client.post("/api/v1/items/", {"sku": "AFTER-1", "name": "After", "uom": "pcs"},
                          content_type="application/json")  # fmt: skip
    listed = client.get("/api/v1/items/")
    assert created.status_code == 201, created.content
    assert sorted(row["sku"] for row in listed.json()["results"]) == ["AFTER-1", "MV-1"]
    schema = stocked_tenant.schema_name
    query = sql.SQL("SELECT count(*) FROM {}").format(sql.Identifier(schema, "inventory_item"))
    with connect("cell2") as target, connect("default") as source:
        assert (target.execute(query).fetchone()[0], source.execute(query).fetchone()[0]) == (2, 1)


def test_the_target_continues_the_sources_sequences(stocked_tenant, cells):
    schema = stocked_tenant.schema_name
    tenant_move(tenant=stocked_tenant, target="cell2", actor="test")
    query = sql.SQL("SELECT nextval(pg_get_serial_sequence({}, 'id'))").format(
        sql.Literal(f'"{schema}".inventory_stockmove')
    )
    with connect("cell2") as target:
        assert target.execute(query).fetchone()[0] == 11


def test_the_tenant_role_of_the_target_database_gets_the_grants_provisioning_gives(stocked_tenant, cells):
    from tenants.db_roles import role_name

    schema = stocked_tenant.schema_name
    tenant_move(tenant=stocked_tenant, target="cell2", actor="test")
    role = role_name(schema, cells["cell2"])
    with connect("cell2") as target:
        checks = target.execute(
            "SELECT has_table_privilege(%(r)s, %(m)s, 'SELECT'), has_table_privilege(%(r)s, %(m)s, 'INSERT'), "
            "has_table_privilege(%(r)s, %(i)s, 'INSERT')",
            {"r": role, "m": f'"{schema}".inventory_stockmove', "i": f'"{schema}".inventory_item'},
        ).fetchone()
    assert checks == (True, False, True)  # stock moves only through the SECURITY DEFINER function


def test_writes_during_the_move_all_reach_the_target(stocked_tenant, cells):
    schema = stocked_tenant.schema_name
    writer = Writer(stocked_tenant)
    flipped = threading.Event()

    def slow_copy(step: str, phase: str) -> None:
        if step == "copy" and phase == "started":
            time.sleep(0.5)  # writes land while the copy's snapshot is taken and after it
        if step == "catch_up" and phase == "done":
            time.sleep(0.3)  # and between the catch-up and the freeze
        if step == "flip" and phase == "done":
            flipped.set()

    writer.start()
    time.sleep(0.2)
    runner.STEP_HOOK = slow_copy
    try:
        move = tenant_move(tenant=stocked_tenant, target="cell2", actor="test")
    finally:
        runner.STEP_HOOK = None
        time.sleep(0.2)  # writes after the flip still go to the source (no routing here): the fence refuses them
        writer.stop.set()
        writer.join(30)
    assert not writer.errors
    assert flipped.is_set() and writer.accepted > 20 and writer.refused > 0
    expected = SEED + writer.accepted
    assert ledger("cell2", schema) == (expected, expected, 10 + writer.accepted)
    assert ledger("default", schema) == ledger("cell2", schema)  # the fenced source took nothing more
    assert move.changes_applied > 0


def test_a_frozen_tenant_refuses_writes_with_503_and_retry_after_and_still_serves_reads(stocked_tenant):
    from django.conf import settings

    from tenants.routing import routing_cache

    with tenant_context(stocked_tenant):
        from django.contrib.auth import get_user_model

        user = get_user_model().objects.get(username="boss")
        key = api_key_create(name="sync", scope="read_write", user=user, created_by=None).key
    connection.set_schema_to_public()
    routing_cache.clear()
    client = Client(HTTP_HOST=f"{stocked_tenant.slug}.{settings.BASE_DOMAIN}", HTTP_AUTHORIZATION=f"Api-Key {key}")
    freeze.freeze(stocked_tenant.schema_name, 0)
    try:
        refused = client.post("/api/v1/items/", {"sku": "NEW-1", "name": "New", "uom": "pcs"},
                              content_type="application/json")  # fmt: skip
        read = client.get("/api/v1/items/")
    finally:
        freeze.unfreeze(stocked_tenant.schema_name)
    assert refused.status_code == 503 and refused["Retry-After"] == "2"
    assert "moving" in refused.json()["detail"]
    assert read.status_code == 200 and read.json()["count"] == 1
    assert client.post("/api/v1/items/", {"sku": "NEW-1", "name": "New", "uom": "pcs"},
                       content_type="application/json").status_code == 201  # fmt: skip


def test_a_write_that_slips_past_the_door_is_refused_by_the_database_as_a_503(stocked_tenant):
    from django.conf import settings

    with tenant_context(stocked_tenant):
        from django.contrib.auth import get_user_model

        user = get_user_model().objects.get(username="boss")
        key = api_key_create(name="sync", scope="read_write", user=user, created_by=None).key
    connection.set_schema_to_public()
    schema = stocked_tenant.schema_name
    client = Client(HTTP_HOST=f"{stocked_tenant.slug}.{settings.BASE_DOMAIN}", HTTP_AUTHORIZATION=f"Api-Key {key}")
    with connect("default") as source, connect("default") as guard:
        capture.install(source, schema)
        guard.execute("SELECT pg_advisory_lock(%s)", [capture.freeze_key(schema)])  # the mover's freeze, no Redis key
        try:
            response = client.post("/api/v1/items/", {"sku": "NEW-2", "name": "New", "uom": "pcs"},
                                   content_type="application/json")  # fmt: skip
        finally:
            capture.remove(source, schema)
    assert response.status_code == 503 and response["Retry-After"] == "2"


def test_a_copy_that_differs_from_its_source_is_rolled_back_and_the_tenant_stays(stocked_tenant, cells):
    schema = stocked_tenant.schema_name

    def tamper(step: str, phase: str) -> None:
        if step == "verify" and phase == "started":
            with connect("cell2") as target:
                target.execute("SET session_replication_role = replica")
                target.execute(sql.SQL("DELETE FROM {} WHERE id = 1").format(
                    sql.Identifier(schema, "inventory_stockmove")))  # fmt: skip

    runner.STEP_HOOK = tamper
    try:
        with pytest.raises(MoveError, match="differs from its source: inventory_stockmove"):
            tenant_move(tenant=stocked_tenant, target="cell2", actor="test")
    finally:
        runner.STEP_HOOK = None
    stocked_tenant.refresh_from_db()
    assert stocked_tenant.cell == "default"
    assert not has_schema("cell2", schema) and capture_triggers("default", schema) == 0
    assert not freeze.is_frozen(schema)
    assert TenantMove.objects.get(tenant=stocked_tenant).state == TenantMove.State.ROLLED_BACK
    receive(stocked_tenant, Decimal(5))  # writes go on at the source
    assert ledger("default", schema)[0] == SEED + 5


class Kill(BaseException):
    """What a kill -9 leaves: no cleanup runs (the runner catches Exception only), sessions die with the process."""


@pytest.mark.parametrize(
    ("step", "phase"), [(step, "done") for step in runner.STEPS] + [("copy", "started"), ("flip", "started")]
)
def test_a_move_killed_at_any_step_leaves_one_serving_cell_and_the_rerun_completes_it(stocked_tenant, cells,
                                                                                       step, phase):  # fmt: skip
    schema = stocked_tenant.schema_name

    def kill(at: str, when: str) -> None:
        if (at, when) == (step, phase):
            raise Kill(step)

    runner.STEP_HOOK = kill
    try:
        with pytest.raises(Kill):
            tenant_move(tenant=stocked_tenant, target="cell2", actor="test")
    finally:
        runner.STEP_HOOK = None
    stocked_tenant.refresh_from_db()
    flipped = runner.STEPS.index(step) > runner.STEPS.index("flip") or (step, phase) == ("flip", "done")
    serving = "cell2" if flipped else "default"
    assert stocked_tenant.cell == serving
    assert ledger(serving, schema) == (SEED, SEED, 10)
    fenced = not flipped and runner.STEPS.index(step) >= runner.STEPS.index("fence")
    if not flipped and not fenced:
        receive(stocked_tenant, Decimal(3))  # the source still takes writes (the freeze died with the mover)

    move = tenant_move(tenant=stocked_tenant, target="cell2", actor="test")  # the rerun

    stocked_tenant.refresh_from_db()
    assert stocked_tenant.cell == "cell2" and move.state == TenantMove.State.FLIPPED
    written = SEED + (3 if not flipped and not fenced else 0)
    assert ledger("cell2", schema)[:2] == (written, written)
    assert not freeze.is_frozen(schema)
    states = sorted(TenantMove.objects.filter(tenant=stocked_tenant).values_list("state", flat=True))
    assert states == (["flipped"] if flipped else ["flipped", "rolled_back"])


def test_a_dry_run_reports_the_plan_and_changes_nothing(stocked_tenant, cells):
    move = tenant_move(tenant=stocked_tenant, target="cell2", actor="test", dry_run=True)
    stocked_tenant.refresh_from_db()
    assert move.state == TenantMove.State.DRY_RUN and stocked_tenant.cell == "default"
    assert move.counts["inventory_stockmove"]["bytes"] > 0 and move.timings["tables"] > 20
    assert not has_schema("cell2", stocked_tenant.schema_name)
    assert capture_triggers("default", stocked_tenant.schema_name) == 0


def test_the_source_is_dropped_once_its_grace_ends(stocked_tenant, cells):
    from datetime import timedelta

    from cells.move import move_finish

    schema = stocked_tenant.schema_name
    move = tenant_move(tenant=stocked_tenant, target="cell2", actor="test", drop_source_after=timedelta(hours=1))
    assert has_schema("default", schema)
    assert move_finish(actor="test") == []  # not due yet
    from django.utils import timezone

    finished = move_finish(actor="test", now=timezone.now() + timedelta(hours=2))
    assert [m.pk for m in finished] == [move.pk] and finished[0].state == TenantMove.State.FINISHED
    assert not has_schema("default", schema) and has_schema("cell2", schema)
    assert ledger("cell2", schema) == (SEED, SEED, 10)


def test_a_tenant_moves_on_from_one_cell_to_another_and_back(stocked_tenant, cells):
    from datetime import timedelta

    schema = stocked_tenant.schema_name
    for target in ("cell2", "cell3", "default"):
        tenant_move(tenant=stocked_tenant, target=target, actor="test", drop_source_after=timedelta(0))
        stocked_tenant.refresh_from_db()
        assert stocked_tenant.cell == target
    assert [has_schema(cell, schema) for cell in ("default", "cell2", "cell3")] == [True, False, False]
    assert ledger("default", schema) == (SEED, SEED, 10)
    receive(stocked_tenant, Decimal(2))
    assert ledger("default", schema)[:2] == (SEED + 2, SEED + 2)


def test_a_move_back_before_the_kept_source_is_dropped_is_refused_naming_finish(stocked_tenant, cells):
    tenant_move(tenant=stocked_tenant, target="cell2", actor="test")
    stocked_tenant.refresh_from_db()
    with pytest.raises(MoveError, match=r"already has a schema .* `tenant_move --finish"):
        tenant_move(tenant=stocked_tenant, target="default", actor="test")
    stocked_tenant.refresh_from_db()
    assert stocked_tenant.cell == "cell2"


def test_the_command_refuses_an_unknown_cell_in_one_line(stocked_tenant, cells):
    with pytest.raises(CommandError, match="unknown cell 'nowhere'"):
        call_command("tenant_move", stocked_tenant.slug, "--to", "nowhere")


def test_the_command_dry_run_prints_the_plan(stocked_tenant, cells, capsys):
    call_command("tenant_move", stocked_tenant.slug, "--to", "cell2", "--dry-run")
    out = capsys.readouterr().out
    assert f"move {stocked_tenant.slug}" in out and "nothing changed" in out and "inventory_stockmove" in out


def test_a_tenant_task_sent_during_the_freeze_is_retried_instead_of_run(stocked_tenant):
    from celery.exceptions import MaxRetriesExceededError

    from tenants.tasks import describe_current_schema

    freeze.freeze(stocked_tenant.schema_name, 0)
    try:
        with tenant_context(stocked_tenant):
            result = describe_current_schema.apply()
    finally:
        freeze.unfreeze(stocked_tenant.schema_name)
    # Run eagerly, the retries ignore their countdown and are spent at once (a worker waits 2 s between them): the
    # body never ran.
    assert isinstance(result.result, MaxRetriesExceededError)
    with tenant_context(stocked_tenant):
        assert describe_current_schema.apply().get()["schema"] == stocked_tenant.schema_name


def test_a_truncate_during_the_move_is_refused(stocked_tenant):
    schema = stocked_tenant.schema_name
    with connect("default") as source:
        capture.install(source, schema)
        try:
            with pytest.raises(Exception, match="TRUNCATE is refused"):
                source.execute(sql.SQL("TRUNCATE {} CASCADE").format(sql.Identifier(schema, "inventory_location")))
        finally:
            capture.remove(source, schema)
    assert capture_triggers("default", schema) == 0


def _killed_command(tenant: Tenant, step: str) -> subprocess.CompletedProcess:
    from django.conf import settings

    from tests.support import subprocess_env

    cells_env = ",".join(f"{name}={spec.url}" for name, spec in settings.CELLS.items())
    return subprocess.run(
        [sys.executable, "manage.py", "tenant_move", tenant.slug, "--to", "cell2", "--stop-after", step],
        env=subprocess_env(CELLS=cells_env), capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip


def test_a_mover_killed_with_sigkill_during_the_freeze_leaves_the_source_writable_and_the_rerun_moves(
    stocked_tenant, cells
):
    schema = stocked_tenant.schema_name
    killed = _killed_command(stocked_tenant, "freeze")
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    move = TenantMove.objects.get(tenant=stocked_tenant)
    assert (move.state, move.step, move.step_done) == ("running", "freeze", True)
    stocked_tenant.refresh_from_db()
    assert stocked_tenant.cell == "default"
    receive(stocked_tenant, Decimal(4))  # the database's freeze died with the mover's session
    assert freeze.is_frozen(schema)  # the door's key stays until the rerun or its TTL
    call_command("tenant_move", stocked_tenant.slug, "--to", "cell2", "--drop-source-after", "0")
    stocked_tenant.refresh_from_db()
    assert stocked_tenant.cell == "cell2" and not freeze.is_frozen(schema)
    assert not has_schema("default", schema)
    assert ledger("cell2", schema)[:2] == (SEED + 4, SEED + 4)


def test_the_command_aborts_a_move_a_killed_run_left(stocked_tenant, cells, capsys):
    killed = _killed_command(stocked_tenant, "copy")
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    assert has_schema("cell2", stocked_tenant.schema_name)
    call_command("tenant_move", stocked_tenant.slug, "--abort")
    assert "rolled back" in capsys.readouterr().out
    assert not has_schema("cell2", stocked_tenant.schema_name)
    assert capture_triggers("default", stocked_tenant.schema_name) == 0


def test_a_second_move_of_the_same_tenant_while_one_runs_is_refused(stocked_tenant, cells):
    refusals = []

    def second_mover(step: str, phase: str) -> None:
        if (step, phase) == ("catch_up", "done"):
            try:
                tenant_move(tenant=Tenant.objects.get(pk=stocked_tenant.pk), target="cell3", actor="other")
            except MoveError as exc:
                refusals.append(exc.message)

    runner.STEP_HOOK = second_mover
    try:
        move = tenant_move(tenant=stocked_tenant, target="cell2", actor="test")
    finally:
        runner.STEP_HOOK = None
    assert refusals == [f"another tenant_move of {stocked_tenant.slug!r} is running; let it finish or stop it first"]
    assert move.state == TenantMove.State.FLIPPED
    assert not has_schema("cell3", stocked_tenant.schema_name)


def test_a_writer_holding_on_past_the_freeze_wait_is_waited_out_by_a_second_freeze(stocked_tenant, cells):
    schema = stocked_tenant.schema_name
    holder = connect("default", autocommit=False)

    def long_writer(step: str, phase: str) -> None:
        if (step, phase) == ("catch_up", "done"):
            # A transaction that has written (so holds the tenant's key shared) and commits 4 s later.
            insert = sql.SQL(
                "INSERT INTO {} (code, name, kind, is_active, is_default_receiving)"
                " VALUES ('LATE', 'Late', 'bin', true,"
                " false)"
            )
            holder.execute(insert.format(sql.Identifier(schema, "inventory_location")))
            threading.Timer(runner.FREEZE_WAIT_SECONDS + 1, holder.commit).start()

    runner.STEP_HOOK = long_writer
    try:
        move = tenant_move(tenant=stocked_tenant, target="cell2", actor="test")
    finally:
        runner.STEP_HOOK = None
        holder.close()
    assert move.state == TenantMove.State.FLIPPED
    assert move.timings["freeze"] > runner.FREEZE_WAIT_SECONDS
    with connect("cell2") as target:
        codes = target.execute(sql.SQL("SELECT code FROM {} ORDER BY code").format(
            sql.Identifier(schema, "inventory_location"))).fetchall()  # fmt: skip
    assert ("LATE",) in codes


def test_the_operations_admin_lists_the_moves(stocked_tenant, cells):
    from django.contrib.auth import get_user_model

    tenant_move(tenant=stocked_tenant, target="cell2", actor="test", dry_run=True)
    admin = get_user_model().objects.create_superuser("move-admin", "root@example.test", "pw-123456789")
    try:
        client = Client(HTTP_HOST="localhost")
        client.force_login(admin)
        response = client.get("/admin/cells/tenantmove/")
        assert response.status_code == 200 and stocked_tenant.slug.encode() in response.content
    finally:
        with connection.cursor() as cursor:  # raw: an ORM delete would cascade into tenant-only tables
            cursor.execute("DELETE FROM public.auth_user WHERE id = %s", [admin.pk])


def test_the_beat_task_drops_the_sources_whose_grace_ended(stocked_tenant, cells):
    from datetime import timedelta

    from cells.tasks import finish_moves_task

    move = tenant_move(tenant=stocked_tenant, target="cell2", actor="test", drop_source_after=timedelta(hours=1))
    assert finish_moves_task.apply().get() == 0
    TenantMove.objects.filter(pk=move.pk).update(drop_source_after=move.drop_source_after - timedelta(hours=2))
    assert finish_moves_task.apply().get() == 1
    assert not has_schema("default", stocked_tenant.schema_name)


def test_a_backup_taken_during_a_move_holds_none_of_its_capture_triggers(stocked_tenant, tmp_path):
    from fleet.backup.archive import read_backup
    from fleet.backup.snapshot import tenant_backup
    from fleet.models import TenantArchive

    with connect("default") as source:
        capture.install(source, stocked_tenant.schema_name)
        try:
            tenant_backup(tenant=stocked_tenant, path=tmp_path / "during-move.tar.gz", actor="test")
        finally:
            capture.remove(source, stocked_tenant.schema_name)
    TenantArchive.objects.filter(tenant_slug=stocked_tenant.slug).delete()
    dump = read_backup(tmp_path / "during-move.tar.gz").dump
    assert "CREATE TRIGGER inventory_stockmove_immutable" in dump
    assert "CREATE TRIGGER _move_capture" not in dump and "_move.capture(" not in dump


def test_a_form_post_to_a_frozen_tenant_gets_the_refusal_page_with_retry_after(stocked_tenant):
    from django.conf import settings

    client = Client(HTTP_HOST=f"{stocked_tenant.slug}.{settings.BASE_DOMAIN}")
    freeze.freeze(stocked_tenant.schema_name, 0)
    try:
        response = client.post("/inventory/items/new/", {"sku": "X"})
    finally:
        freeze.unfreeze(stocked_tenant.schema_name)
    assert response.status_code == 503 and response["Retry-After"] == "2"
    assert response["Content-Type"].startswith("text/html") and b"moving to another database server" in response.content
