"""Restores that cannot wedge or collide: an older backup is migrated as `migrate` would (one transaction per
migration, in a scratch schema swapped in at the end), a failure leaves nothing, and two restores (or a restore and a
provisioning) of one slug at once leave the loser one line. Everything here is committed state."""

import io
import subprocess
import sys

import pytest
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection
from django_tenants.utils import schema_exists

from fleet.backup import read_backup
from fleet.models import TenantArchive, TenantAuditEvent
from tenants import db_roles, schema_template
from tenants.models import Tenant
from tenants.services import tenant_delete
from tests.fleet.fleet_support import REPO, applied, committed_db, committed_tenants, race_at_the_domain_lock, unapply
from tests.support import subprocess_env

db = committed_db
pytestmark = pytest.mark.usefixtures("db")

SOURCE = "rs-src"


@pytest.fixture(scope="module")
def backup_file(tmp_path_factory, django_db_setup, django_db_blocker):
    """A real backup of a committed tenant, shared by the module's tests (the tenant itself is gone afterwards)."""
    path = tmp_path_factory.mktemp("backups") / f"{SOURCE}.tar.gz"
    with committed_tenants(django_db_blocker, SOURCE), django_db_blocker.unblock():
        call_command("tenant_backup", SOURCE, "-o", str(path))
        TenantArchive.objects.filter(tenant_slug=SOURCE).delete()
    return path


def _delete(*slugs: str) -> None:
    connection.set_schema_to_public()
    for tenant in Tenant.objects.filter(slug__in=slugs):
        tenant_delete(tenant=tenant)
    TenantAuditEvent.objects.filter(tenant_slug__in=slugs).delete()
    TenantArchive.objects.filter(tenant_slug__in=slugs).delete()


def _scratch_schemas() -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT nspname FROM pg_namespace WHERE starts_with(nspname, '_restore_')")
        return [row[0] for row in cursor.fetchall()]


def _role_exists(schema_name: str) -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_roles WHERE rolname = %s", [db_roles.role_name(schema_name)])
        return cursor.fetchone()[0] == 1


# --- Two of one slug at once ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("rival", ["tenant_restore", "create_tenant"])
def test_two_restores_as_one_slug_at_once_the_loser_gets_one_line(backup_file, django_db_blocker, rival):
    """Both pass the 'slug free' checks and build their schema; the domain table is held locked until both are in
    their final transaction, where one waits on the other's registry row."""
    slug = "race-r"
    commands = {
        "tenant_restore": ["tenant_restore", str(backup_file), "--as", slug],
        "create_tenant": ["create_tenant", slug, "--name", "Race", "--admin-email", "boss@race.test",
                          "--admin-password", "correct-horse-battery"],
    }  # fmt: skip
    try:
        outcomes = race_at_the_domain_lock(commands["tenant_restore"], commands[rival])
        assert sorted(outcomes) == [f"CommandError: slug '{slug}' is already taken", "done"], outcomes
        assert Tenant.objects.filter(slug=slug).count() == 1
        assert schema_exists("race_r")
        assert _scratch_schemas() == []
    finally:
        _delete(slug)


# --- Older backups ----------------------------------------------------------------------------------------------------


@pytest.fixture
def back_to_this_code(django_db_blocker):
    """A restore under wedge_settings refreshes the template with wedgeapp in it: put back this process's template,
    or the next provisioning in a transaction (a test's) finds it out of date."""
    yield
    with django_db_blocker.unblock():
        connection.set_schema_to_public()
        schema_template.ensure_fresh_template()
        schema_template.refill_spare_schemas()


def _wedge(*args: str) -> subprocess.CompletedProcess:
    """manage.py under tests.fleet.wedge_settings: this code plus the wedgeapp tenant app."""
    env = subprocess_env(DJANGO_SETTINGS_MODULE="tests.fleet.wedge_settings")
    return subprocess.run([sys.executable, "manage.py", *args], cwd=REPO, env=env, capture_output=True, text=True,
                          timeout=300)  # fmt: skip


@pytest.mark.usefixtures("back_to_this_code")
def test_restoring_a_backup_from_before_a_data_migration_and_an_alter_of_its_table_migrates_it(
    backup_file, django_db_blocker
):
    """The backup predates tests.fleet.wedgeapp, whose 0002 inserts rows (with a deferred foreign key) and 0003
    adds a column to that table: in the restore's one transaction PostgreSQL refused the ALTER ("pending trigger
    events"); migrated one transaction per migration in the scratch schema, it restores."""
    try:
        restored = _wedge("tenant_restore", str(backup_file), "--as", "wedge-r")
        assert restored.returncode == 0, restored.stderr[-3000:]
        assert "restored tenant wedge-r" in restored.stdout
        with connection.cursor() as cursor:
            cursor.execute("SELECT name, size FROM wedge_r.wedgeapp_widget")
            assert cursor.fetchall() == [("seeded", 1)]
        assert ("wedgeapp", "0003_widget_size") in applied("wedge_r")
        assert Tenant.objects.get(slug="wedge-r").status == "active"
        assert _scratch_schemas() == []
    finally:
        _delete("wedge-r")


def test_restoring_a_backup_one_migration_behind_brings_it_up_to_this_release(tmp_path, django_db_blocker):
    with committed_tenants(django_db_blocker, "rs-old") as (tenant,):
        unapply(tenant.schema_name, "sessions", "zero")
        path = tmp_path / "rs-old.tar.gz"
        call_command("tenant_backup", "rs-old", "-o", str(path))
        try:
            call_command("tenant_restore", str(path), "--as", "rs-up", stdout=io.StringIO())
            assert applied("rs_up") == set(schema_template.code_migrations())
            with connection.cursor() as cursor:
                cursor.execute("SELECT to_regclass('rs_up.django_session')")
                assert cursor.fetchone()[0] is not None
            assert _scratch_schemas() == []
        finally:
            _delete("rs-up", "rs-old")


def test_a_migration_failing_during_a_restore_leaves_nothing_behind(tmp_path, django_db_blocker, monkeypatch):
    """The scratch schema has committed some migrations when one fails: it is dropped, nothing is registered."""
    real_migrate = schema_template.migrate_schema

    def migrate_then_fail(schema_name: str) -> None:
        real_migrate(schema_name)
        raise DatabaseError('relation "django_session" already exists')

    with committed_tenants(django_db_blocker, "rs-old") as (tenant,):
        unapply(tenant.schema_name, "sessions", "zero")
        path = tmp_path / "rs-old.tar.gz"
        call_command("tenant_backup", "rs-old", "-o", str(path))
        monkeypatch.setattr(schema_template, "migrate_schema", migrate_then_fail)
        try:
            with pytest.raises(CommandError, match="migrating the backup to this release failed") as refused:
                call_command("tenant_restore", str(path), "--as", "rs-fail")
            assert "\n" not in str(refused.value)
            connection.set_schema_to_public()
            assert not Tenant.objects.filter(slug="rs-fail").exists()
            assert not schema_exists("rs_fail")
            assert not _role_exists("rs_fail")
            assert _scratch_schemas() == []
        finally:
            _delete("rs-fail", "rs-old")


def test_a_scratch_schema_left_by_a_killed_restore_is_dropped_by_the_next_one(backup_file, django_db_blocker):
    with connection.cursor() as cursor:
        cursor.execute('CREATE SCHEMA "_restore_0123456789abcdef"; CREATE TABLE "_restore_0123456789abcdef".t (x int)')
    try:
        call_command("tenant_restore", str(backup_file), "--as", "rs-next", stdout=io.StringIO())
        assert _scratch_schemas() == []
    finally:
        with connection.cursor() as cursor:
            cursor.execute('DROP SCHEMA IF EXISTS "_restore_0123456789abcdef" CASCADE')
        _delete("rs-next")


@pytest.mark.usefixtures("back_to_this_code")
def test_restoring_a_backup_taken_at_wedgeapp_0002_applies_0003(tmp_path, django_db_blocker):
    """A tenant at wedgeapp 0002 (rows written) backed up, restored by a release that adds 0003 (an ALTER of that
    table): the copy has the rows and the new column. (This one passed before too: pg_dump adds foreign keys after
    the data, so restored rows leave no trigger events; the wedge needs the data migration itself in the restore.)"""
    with committed_tenants(django_db_blocker, "wedge-old") as (tenant,):
        migrated = _wedge("migrate_schemas", "wedgeapp", "0002", "--schema", tenant.schema_name, "--noinput")
        assert migrated.returncode == 0, migrated.stderr[-3000:]
        path = tmp_path / "wedge-old.tar.gz"
        call_command("tenant_backup", "wedge-old", "-o", str(path))
        assert "wedgeapp.0002_seed" in read_backup(path).manifest["migrations"]
        assert "wedgeapp.0003_widget_size" not in read_backup(path).manifest["migrations"]
        try:
            restored = _wedge("tenant_restore", str(path), "--as", "wedge-new")
            assert restored.returncode == 0, restored.stderr[-3000:]
            with connection.cursor() as cursor:
                cursor.execute("SELECT name, size FROM wedge_new.wedgeapp_widget")
                assert cursor.fetchall() == [("seeded", 1)]
            assert ("wedgeapp", "0003_widget_size") in applied("wedge_new")
            assert _scratch_schemas() == []
        finally:
            _delete("wedge-new", "wedge-old")
