"""Helpers for fleet tests: committed throwaway tenants (fleet operations commit per schema) and schema shapes."""

from __future__ import annotations

import contextlib
import io
import re
import threading
import time
from pathlib import Path

import psycopg
import pytest
from django.core.management import CommandError, call_command
from django.db import connection, connections

from fleet.models import FleetMigrationRun, TenantAuditEvent
from tenants import schema_template
from tenants.models import Tenant
from tenants.services import tenant_create, tenant_delete


@pytest.fixture(name="db")
def committed_db(django_db_setup, django_db_blocker):
    """Replaces pytest-django's `db` in fleet test modules: database access without the rolled-back transaction.

    Fleet operations commit per schema (and pg_dump and Celery workers read from their own sessions), so these
    tests work on committed state and clean up after themselves. Named `db` so pytest-django sets up the test
    database for them.
    """
    with django_db_blocker.unblock():
        yield


@contextlib.contextmanager
def committed_tenants(django_db_blocker, *slugs: str, plan: str = "free"):
    """Provision `slugs` for real (committed) and drop them, and every fleet record, afterwards."""
    with django_db_blocker.unblock():
        tenants = [
            tenant_create(slug=slug, name=slug.title(), admin_email=f"boss@{slug}.test", plan=plan).tenant
            for slug in slugs
        ]
        try:
            yield tenants
        finally:
            connection.set_schema_to_public()
            for tenant in Tenant.objects.filter(slug__in=slugs):
                tenant_delete(tenant=tenant)
            FleetMigrationRun.objects.all().delete()
            TenantAuditEvent.objects.filter(tenant_slug__in=slugs).delete()


def unapply(schema_name: str, app_label: str, migration: str) -> None:
    """Migrate one app of one schema backwards, as ops would have to before a release with a new migration."""
    call_command("migrate_schemas", app_label, migration, schema_name=schema_name, interactive=False, verbosity=0)
    connection.set_schema_to_public()


def schema_shape(schema_name: str) -> dict[str, set]:
    """Columns, constraints, indexes (with definitions) and migration rows of a schema, its own name left out."""

    def strip(value: object) -> str:
        return re.sub(rf'"?{re.escape(schema_name)}"?\.', "", str(value))

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT table_name, column_name, data_type, character_maximum_length, is_nullable, column_default "
            "FROM information_schema.columns WHERE table_schema = %s",
            [schema_name],
        )
        columns = {tuple(strip(v) for v in row) for row in cursor.fetchall()}
        cursor.execute(
            "SELECT conrelid::regclass::text, conname, contype, pg_get_constraintdef(c.oid) FROM pg_constraint c "
            "JOIN pg_namespace n ON n.oid = c.connamespace WHERE n.nspname = %s",
            [schema_name],
        )
        constraints = {tuple(strip(v) for v in row) for row in cursor.fetchall()}
        cursor.execute("SELECT tablename, indexname, indexdef FROM pg_indexes WHERE schemaname = %s", [schema_name])
        indexes = {tuple(strip(v) for v in row) for row in cursor.fetchall()}
        cursor.execute(
            "SELECT c.relname, c.relkind FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname = %s",
            [schema_name],
        )
        relations = set(cursor.fetchall())
        cursor.execute(f'SELECT app, name FROM "{schema_name}".django_migrations')
        migrations = set(cursor.fetchall())
    return {
        "columns": columns,
        "constraints": constraints,
        "indexes": indexes,
        "relations": relations,
        "migrations": migrations,
    }


def applied(schema_name: str) -> set[tuple[str, str]]:
    with connection.cursor() as cursor:
        cursor.execute(f'SELECT app, name FROM "{schema_name}".django_migrations')
        return set(cursor.fetchall())


REPO = Path(__file__).resolve().parents[2]


def race_at_the_domain_lock(*commands: list[str], deadline: float = 120) -> list[str]:
    """Run the management `commands` at once, each in a thread of its own, while another session holds tenants_domain
    locked; let them go once both wait on a lock (the lock, or the first one's registry row). Each one's outcome, in
    the order they end: "done", "CommandError: <its message>", or the name and message of any other exception."""
    outcomes: list[str] = []

    def run(args: list[str]) -> None:
        try:
            call_command(*args, stdout=io.StringIO())
            outcomes.append("done")
        except CommandError as exc:
            outcomes.append(f"CommandError: {exc}")
        except Exception as exc:  # what a loser got before: an IntegrityError or duplicate-schema traceback
            outcomes.append(f"{type(exc).__name__}: {exc}")
        finally:
            connections.close_all()

    schema_template.ensure_fresh_template()
    params = connection.get_connection_params()
    params.pop("cursor_factory", None)
    blocker = psycopg.connect(**params, autocommit=True)
    try:
        blocker.execute("BEGIN")
        blocker.execute("LOCK TABLE tenants_domain IN EXCLUSIVE MODE")
        threads = [threading.Thread(target=run, args=(command,)) for command in commands]
        for thread in threads:
            thread.start()
        ends = time.monotonic() + deadline
        while True:  # one waits on the domain lock, the other on the first one's tenant row
            blocker.execute("SELECT pg_stat_clear_snapshot()")  # else the view is read once per transaction
            waiting = blocker.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                "AND wait_event_type = 'Lock' AND pid <> pg_backend_pid()"
            ).fetchone()[0]
            if waiting >= len(commands):
                break
            assert all(thread.is_alive() for thread in threads), outcomes
            assert time.monotonic() < ends, "the two never met"
            time.sleep(0.05)
        blocker.execute("COMMIT")
        for thread in threads:
            thread.join(timeout=120)
    finally:
        blocker.close()
    return outcomes
