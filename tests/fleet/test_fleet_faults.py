"""Fleet operations under faults: kill -9 of a migration run, template builds any valid history, racing provisioning.

Child processes work on this test database (fleet_support.subprocess_env); everything here is committed state.
"""

import io
import subprocess
import sys
import time
from datetime import timedelta

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.utils import timezone

from fleet.migrator import close_abandoned_runs, run_fleet_migration
from fleet.migrator.runs import _live_holders
from fleet.models import FleetMigrationRecord, FleetMigrationRun, RunStatus
from tenants import schema_template
from tenants.models import Tenant
from tenants.services import tenant_delete
from tests.fleet.fleet_support import (
    REPO,
    applied,
    committed_db,
    committed_tenants,
    race_at_the_domain_lock,
    schema_shape,
    unapply,
)
from tests.support import subprocess_env

db = committed_db
pytestmark = pytest.mark.usefixtures("db")

SESSIONS = ("sessions", "0001_initial")

# The test seam: the real migrate_fleet command, slowed down inside each schema's transaction so a test can kill it
# mid-run. It lives here, in the test, not in the product.
SLOW_MIGRATE_FLEET = """
import sys, time
import django
django.setup()
from django.core.management import call_command
from fleet.migrator import apply as migrations

real_set_lock_timeout = migrations._set_lock_timeout

def slow_set_lock_timeout(seconds):
    real_set_lock_timeout(seconds)
    print("in schema transaction", flush=True)
    time.sleep(float(sys.argv[1]))

migrations._set_lock_timeout = slow_set_lock_timeout
call_command("migrate_fleet", "--skip-shared", "--concurrency", "1", *sys.argv[2:])
"""


def _start_slow_fleet_run(seconds: float, *args: str) -> subprocess.Popen:
    """The real command, stopped `seconds` inside its first schema's transaction; returns once it is there."""
    process = subprocess.Popen(
        [sys.executable, "-c", SLOW_MIGRATE_FLEET, str(seconds), *args],
        cwd=REPO, env=subprocess_env(), stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
    )  # fmt: skip
    seen = b""
    while b"in schema transaction" not in seen:
        line = process.stdout.readline()
        assert line, f"the fleet run ended before migrating a schema: {seen.decode()[-3000:]}"
        seen += line
    return process


def _kill_fleet_run_mid_way(*args: str) -> FleetMigrationRun:
    """kill -9 of the real command while its first schema's transaction is open; returns its (still open) run."""
    process = _start_slow_fleet_run(60, *args)
    process.kill()
    process.wait(timeout=30)
    process.stdout.close()
    deadline = time.monotonic() + 20
    while _live_holders():  # PostgreSQL ends the killed client's session as soon as it notices the closed socket
        assert time.monotonic() < deadline, "the killed run's session is still alive"
        time.sleep(0.05)
    run = FleetMigrationRun.objects.get(status=RunStatus.RUNNING)
    assert run.finished_at is None
    assert run.records.filter(status=FleetMigrationRecord.Status.RUNNING).count() == 1
    return run


def test_killed_fleet_run_is_closed_by_the_next_run_which_retries_what_it_left(django_db_blocker):
    with committed_tenants(django_db_blocker, "kill-a", "kill-b", "kill-c") as tenants:
        for tenant in tenants:
            unapply(tenant.schema_name, "sessions", "zero")
        # An older run whose failure was fixed since: --retry-failed must not pick it.
        older = FleetMigrationRun.objects.create(actor="test", status=RunStatus.FAILED, finished_at=timezone.now())
        FleetMigrationRun.objects.filter(pk=older.pk).update(started_at=timezone.now() - timedelta(hours=1))
        older.records.create(schema_name="acme", status=FleetMigrationRecord.Status.FAILED, migrations="x")

        killed = _kill_fleet_run_mid_way("--canary", "kill-a")
        assert SESSIONS not in applied("kill_a")  # its transaction died with the process

        retry = run_fleet_migration(actor="test", retry_failed=True)

        killed.refresh_from_db()
        assert killed.status == RunStatus.ABANDONED
        assert killed.finished_at is not None
        records = {r.schema_name: r for r in killed.records.all()}
        assert records["kill_a"].status == "failed" and "abandoned" in records["kill_a"].error
        assert {records["kill_b"].status, records["kill_c"].status} == {"skipped"}
        assert retry.retry_of == killed
        assert retry.status == RunStatus.OK
        assert set(retry.records.values_list("schema_name", "status")) == {
            ("kill_a", "ok"), ("kill_b", "ok"), ("kill_c", "ok")
        }  # fmt: skip
        assert schema_shape("kill_c") == schema_shape("acme")
        assert not FleetMigrationRun.objects.filter(status=RunStatus.RUNNING).exists()


def test_fleet_report_closes_a_run_whose_process_was_killed(django_db_blocker):
    with committed_tenants(django_db_blocker, "kill-a", "kill-b") as tenants:
        for tenant in tenants:
            unapply(tenant.schema_name, "sessions", "zero")
        killed = _kill_fleet_run_mid_way()

        out = io.StringIO()
        call_command("fleet_report", "--stored", stdout=out)

        assert f"closed fleet migration #{killed.pk}: abandoned" in out.getvalue()
        killed.refresh_from_db()
        assert killed.status == RunStatus.ABANDONED and killed.finished_at is not None
        assert "abandoned" in killed.summary


def test_a_live_run_is_not_closed_as_abandoned(django_db_blocker):
    """The check is the holder's lock, not the row's age: a run in progress stays open."""
    with committed_tenants(django_db_blocker, "kill-a") as (tenant,):
        unapply(tenant.schema_name, "sessions", "zero")
        process = _start_slow_fleet_run(4, "--schema", "kill_a")
        try:
            assert close_abandoned_runs() == []
            assert FleetMigrationRun.objects.get().status == RunStatus.RUNNING
            with pytest.raises(CommandError, match="another fleet migration is running"):
                call_command("migrate_fleet", "--skip-shared", stdout=io.StringIO())
        finally:
            process.wait(timeout=60)
            process.stdout.close()
        assert FleetMigrationRun.objects.get().status == RunStatus.OK


def test_retry_failed_after_a_clean_run_says_there_is_nothing_to_retry(django_db_blocker):
    with django_db_blocker.unblock():
        try:
            older = FleetMigrationRun.objects.create(actor="test", status=RunStatus.FAILED, finished_at=timezone.now())
            FleetMigrationRun.objects.filter(pk=older.pk).update(started_at=timezone.now() - timedelta(hours=1))
            older.records.create(schema_name="acme", status=FleetMigrationRecord.Status.FAILED, migrations="x")
            newest = run_fleet_migration(actor="test")
            with pytest.raises(CommandError, match=rf"last fleet migration \(#{newest.pk}, ok\) left nothing"):
                call_command("migrate_fleet", "--skip-shared", "--retry-failed", stdout=io.StringIO())
        finally:
            FleetMigrationRun.objects.all().delete()


# --- Provisioning that cannot wedge ----------------------------------------------------------------------------------


def test_template_and_migrations_provisioning_build_a_history_that_alters_a_table_a_data_migration_wrote(
    django_db_blocker,
):
    """tests.fleet.wedgeapp: 0002 inserts rows (with a deferred foreign key), 0003 adds a column to that table.

    In one transaction PostgreSQL refuses the ALTER ("pending trigger events"); built as `migrate` builds, it works.
    """
    env = subprocess_env(DJANGO_SETTINGS_MODULE="tests.fleet.wedge_settings")
    slugs = {"wedge-m": "migrations", "wedge-t": "template"}
    with django_db_blocker.unblock():
        try:
            with connection.cursor() as cursor:  # force a rebuild of the template: the code has a new app
                cursor.execute(f"DELETE FROM {schema_template.quote(schema_template.template_schema())}"
                               ".django_migrations WHERE app = 'sessions'")  # fmt: skip
            for slug, method in slugs.items():
                created = subprocess.run(
                    [sys.executable, "manage.py", "create_tenant", slug, "--name", "Wedge",
                     "--admin-email", f"boss@{slug}.test", "--method", method],
                    cwd=REPO, env=env, capture_output=True, text=True, timeout=300,
                )  # fmt: skip
                assert created.returncode == 0, created.stderr[-3000:]
                assert f"created tenant {slug}" in created.stdout
            for schema in ("wedge_m", "wedge_t", schema_template.template_schema()):
                with connection.cursor() as cursor:
                    cursor.execute(f"SELECT name, size FROM {schema_template.quote(schema)}.wedgeapp_widget")
                    assert cursor.fetchall() == [("seeded", 1)], schema
                assert ("wedgeapp", "0003_widget_size") in applied(schema)
            assert Tenant.objects.get(slug="wedge-t").status == "active"
            with connection.cursor() as cursor:
                cursor.execute("SELECT count(*) FROM pg_namespace WHERE nspname LIKE '\\_tplbuild\\_%%' "
                               "OR nspname LIKE '\\_build\\_%%'")  # fmt: skip
                assert cursor.fetchone()[0] == 0  # no scratch schema left behind
        finally:
            connection.set_schema_to_public()
            for tenant in Tenant.objects.filter(slug__in=slugs):
                tenant_delete(tenant=tenant)
            schema_template.ensure_fresh_template()  # back to this process's code (no wedgeapp)
            schema_template.refill_spare_schemas()
        assert ("wedgeapp", "0001_initial") not in applied(schema_template.template_schema())


def test_two_create_tenant_of_one_slug_at_once_the_loser_gets_one_line(django_db_blocker):
    """Both pass the 'slug free' checks; the domain table is held locked until both are inside their transaction."""
    command = ["create_tenant", "race-1", "--name", "Race", "--admin-email", "boss@race.test",
               "--admin-password", "correct-horse-battery"]  # fmt: skip
    with django_db_blocker.unblock():
        try:
            outcomes = race_at_the_domain_lock(command, command, deadline=60)
            assert sorted(outcomes) == ["CommandError: slug 'race-1' is already taken", "done"], outcomes
            assert Tenant.objects.filter(slug="race-1").count() == 1
        finally:
            connection.set_schema_to_public()
            for tenant in Tenant.objects.filter(slug="race-1"):
                tenant_delete(tenant=tenant)
