"""The fleet migration runner against real, committed schemas (it commits per schema)."""

import io

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.db import connection

from fleet.migrator import run_fleet_migration
from fleet.models import FleetMigrationRecord, FleetMigrationRun
from tenants import schema_template
from tenants.models import Tenant
from tests.fleet.fleet_support import applied, committed_db, committed_tenants, schema_shape, unapply

pytestmark = pytest.mark.usefixtures("db")  # committed database access: see fleet_support.committed_db

db = committed_db

SESSIONS = ("sessions", "0001_initial")
AUTH_12 = ("auth", "0012_alter_user_first_name_max_length")


def _records(run: FleetMigrationRun) -> dict[str, FleetMigrationRecord]:
    return {record.schema_name: record for record in run.records.all()}


def test_one_failing_tenant_is_recorded_on_its_old_state_and_retry_finishes_it(django_db_blocker):
    with committed_tenants(django_db_blocker, "fleet-a", "fleet-b", "fleet-c") as tenants:
        for tenant in tenants:
            unapply(tenant.schema_name, "sessions", "zero")
        with connection.cursor() as cursor:  # the object the migration will create, already there
            cursor.execute("CREATE TABLE fleet_c.django_session (conflict integer)")

        out, err = io.StringIO(), io.StringIO()
        with pytest.raises(CommandError, match="failed"):
            call_command("migrate_fleet", "--skip-shared", "--canary", "fleet-a", stdout=out, stderr=err)

        run = FleetMigrationRun.objects.get()
        records = _records(run)
        assert run.status == "failed", [(r.schema_name, r.error) for r in records.values()]
        assert run.canary == "fleet_a"
        assert records["fleet_a"].status == "ok" and records["fleet_a"].method == "executor"
        assert records["fleet_b"].status == "ok" and records["fleet_b"].method == "replay"
        assert records["fleet_c"].status == "failed"
        assert "django_session" in records["fleet_c"].error
        assert records["fleet_c"].duration_ms is not None
        assert "fleet_c" in err.getvalue()
        assert SESSIONS in applied("fleet_a") and SESSIONS in applied("fleet_b")
        # Entirely on its old state: no migration row, and the conflicting table untouched.
        assert SESSIONS not in applied("fleet_c")
        with connection.cursor() as cursor:
            cursor.execute("SELECT column_name FROM information_schema.columns WHERE table_schema = 'fleet_c' "
                           "AND table_name = 'django_session'")  # fmt: skip
            assert [row[0] for row in cursor.fetchall()] == ["conflict"]
            cursor.execute("DROP TABLE fleet_c.django_session")

        call_command("migrate_fleet", "--skip-shared", "--retry-failed", stdout=out, stderr=err)
        retry = FleetMigrationRun.objects.exclude(pk=run.pk).get()
        assert retry.retry_of == run
        assert retry.status == "ok"
        assert list(retry.records.values_list("schema_name", "status")) == [("fleet_c", "ok")]
        assert schema_shape("fleet_c") == schema_shape("fleet_a")


def test_failing_canary_stops_the_run_before_any_other_schema(django_db_blocker):
    with committed_tenants(django_db_blocker, "fleet-a", "fleet-b") as tenants:
        for tenant in tenants:
            unapply(tenant.schema_name, "sessions", "zero")
        with connection.cursor() as cursor:
            cursor.execute("CREATE TABLE fleet_a.django_session (conflict integer)")

        run = run_fleet_migration(actor="test", canary_slug="fleet-a")

        assert run.status == "stopped"
        records = _records(run)
        assert records["fleet_a"].status == "failed"
        assert records["fleet_b"].status == "skipped"
        assert SESSIONS not in applied("fleet_b")


def test_fleet_result_equals_what_migrate_schemas_produces(django_db_blocker):
    with committed_tenants(django_db_blocker, "fleet-a", "fleet-b", "fleet-c") as tenants:
        for tenant in tenants:
            unapply(tenant.schema_name, "sessions", "zero")
            unapply(tenant.schema_name, "auth", "0011_update_proxy_permissions")

        run = run_fleet_migration(actor="test", schemas=["fleet_a", "fleet_b"], canary_slug="fleet-a")
        call_command("migrate_schemas", schema_name="fleet_c", interactive=False, verbosity=0)
        connection.set_schema_to_public()

        records = _records(run)
        assert records["fleet_b"].method == "replay", records["fleet_b"].error
        assert records["fleet_a"].migrations.splitlines() == ["auth.0012_alter_user_first_name_max_length",
                                                               "sessions.0001_initial"]  # fmt: skip
        by_migrate_schemas = schema_shape("fleet_c")
        assert schema_shape("fleet_b") == by_migrate_schemas  # replayed
        assert schema_shape("fleet_a") == by_migrate_schemas  # canary, by the executor
        assert schema_shape("acme") == by_migrate_schemas  # never migrated backwards at all


def test_runpython_migration_goes_through_the_executor_on_every_schema(django_db_blocker):
    with committed_tenants(django_db_blocker, "fleet-a", "fleet-b") as tenants:
        for tenant in tenants:
            unapply(tenant.schema_name, "auth", "0010_alter_group_name_max_length")  # 0011 is RunPython

        run = run_fleet_migration(actor="test", schemas=["fleet_a", "fleet_b"])

        assert {(r.schema_name, r.status, r.method) for r in run.records.all()} == {
            ("fleet_a", "ok", "executor"),
            ("fleet_b", "ok", "executor"),
        }
        assert schema_shape("fleet_a") == schema_shape("fleet_b") == schema_shape("acme")


def test_template_is_migrated_in_the_same_run_and_new_tenants_get_the_new_schema(django_db_blocker):
    template = settings.TENANT_TEMPLATE_SCHEMA
    with committed_tenants(django_db_blocker, "fleet-a") as (tenant,):
        unapply(tenant.schema_name, "sessions", "zero")
        unapply(template, "sessions", "zero")
        try:
            run = run_fleet_migration(actor="test")
        finally:
            schema_template.migrate_schema(template)  # leave the template whole for other tests, whatever happened

        records = _records(run)
        assert records[template].status == "ok", records[template].error
        assert applied(template) == set(schema_template.code_migrations())
        assert schema_shape(template) == schema_shape("acme")


def test_up_to_date_schemas_are_skipped_without_records(django_db_blocker):
    with django_db_blocker.unblock():
        try:
            run = run_fleet_migration(actor="test")
            assert run.status == "ok"
            assert run.records.count() == 0
            assert run.up_to_date >= 3  # acme, globex, the template
        finally:
            FleetMigrationRun.objects.all().delete()


def test_dry_run_lists_pending_migrations_per_tenant_and_changes_nothing(django_db_blocker):
    with committed_tenants(django_db_blocker, "fleet-a") as (tenant,):
        unapply(tenant.schema_name, "sessions", "zero")
        out = io.StringIO()
        call_command("migrate_fleet", "--dry-run", stdout=out)
        assert "fleet-a [fleet_a]: sessions.0001_initial" in out.getvalue()
        assert "1 schema(s) with pending migrations" in out.getvalue()
        assert SESSIONS not in applied("fleet_a")
        assert not FleetMigrationRun.objects.exists()


def test_migrate_schemas_skips_a_tenant_whose_schema_is_gone(django_db_blocker):
    with django_db_blocker.unblock():
        gone = Tenant.objects.create(schema_name="fleet_gone", slug="fleet-gone", name="Gone", status="archived")
        try:
            call_command("migrate_schemas", tenant=True, interactive=False, verbosity=0)
            connection.set_schema_to_public()
            with connection.cursor() as cursor:
                cursor.execute("SELECT count(*) FROM pg_namespace WHERE nspname = 'fleet_gone'")
                assert cursor.fetchone()[0] == 0
        finally:
            connection.set_schema_to_public()
            gone.delete()


def _bookkeeping(schema_name: str) -> tuple[set, set]:
    with connection.cursor() as cursor:
        cursor.execute(f'SELECT app_label, model FROM "{schema_name}".django_content_type')
        types = set(cursor.fetchall())
        cursor.execute(f'SELECT codename FROM "{schema_name}".auth_permission')
        return types, {row[0] for row in cursor.fetchall()}


def test_content_types_and_permissions_of_new_models_are_created_on_replayed_schemas(django_db_blocker):
    with committed_tenants(django_db_blocker, "fleet-a", "fleet-b") as tenants:
        for tenant in tenants:
            unapply(tenant.schema_name, "sessions", "zero")
            schema = tenant.schema_name
            with connection.cursor() as cursor:  # as if sessions were a brand-new app
                cursor.execute(
                    f"DELETE FROM {schema}.auth_permission WHERE content_type_id IN "
                    f"(SELECT id FROM {schema}.django_content_type WHERE app_label = 'sessions')"
                )
                cursor.execute(f"DELETE FROM {schema}.django_content_type WHERE app_label = 'sessions'")

        run = run_fleet_migration(actor="test", schemas=["fleet_a", "fleet_b"], canary_slug="fleet-a")

        records = _records(run)
        assert records["fleet_b"].method == "replay", records["fleet_b"].error
        assert _bookkeeping("fleet_a") == _bookkeeping("fleet_b") == _bookkeeping("acme")
        assert ("sessions", "session") in _bookkeeping("fleet_b")[0]
