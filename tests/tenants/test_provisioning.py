import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.db import connection
from django_tenants.utils import schema_exists, tenant_context

from tenants import schema_template
from tenants.models import Domain, Tenant
from tenants.services import ProvisioningError, ProvisioningMethod, tenant_create, tenant_delete

REPO = Path(__file__).resolve().parents[2]


def schema_shape(schema_name: str) -> dict[str, set]:
    """Columns, constraints and indexes of a schema, with the schema name itself left out."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT table_name, column_name, data_type, is_nullable, column_default FROM information_schema.columns "
            "WHERE table_schema = %s",
            [schema_name],
        )
        columns = {
            tuple(str(v).replace(f'"{schema_name}".', "").replace(f"{schema_name}.", "") for v in row)
            for row in cursor.fetchall()
        }
        cursor.execute(
            "SELECT conrelid::regclass::text, conname, contype, pg_get_constraintdef(c.oid) FROM pg_constraint c "
            "JOIN pg_namespace n ON n.oid = c.connamespace WHERE n.nspname = %s",
            [schema_name],
        )
        constraints = {
            (rel.split(".")[-1], name, kind, definition.replace(f"{schema_name}.", ""))
            for rel, name, kind, definition in cursor.fetchall()
        }
        cursor.execute("SELECT tablename, indexname FROM pg_indexes WHERE schemaname = %s", [schema_name])
        indexes = set(cursor.fetchall())
        cursor.execute(f'SELECT app, name FROM "{schema_name}".django_migrations')
        migrations = set(cursor.fetchall())
    return {"columns": columns, "constraints": constraints, "indexes": indexes, "migrations": migrations}


def test_provisioning_creates_every_tenant_table_and_an_active_registry_entry(db):
    provisioned = tenant_create(slug="initech", name="Initech", admin_email="peter@initech.test")
    tenant = Tenant.objects.get(slug="initech")
    assert tenant.status == Tenant.Status.ACTIVE
    assert Domain.objects.get(tenant=tenant).domain == f"initech.{settings.BASE_DOMAIN}"
    assert provisioned.url == f"http://initech.{settings.BASE_DOMAIN}/"
    assert schema_shape("initech") == schema_shape(settings.TENANT_TEMPLATE_SCHEMA)
    assert schema_shape("initech")["migrations"] == schema_template.code_migrations()


def test_template_provisioning_yields_the_same_schema_as_replaying_migrations(db):
    tenant_create(slug="by-template", name="T", admin_email="a@t.test", method=ProvisioningMethod.TEMPLATE)
    tenant_create(slug="by-migrations", name="M", admin_email="a@m.test", method=ProvisioningMethod.MIGRATIONS)
    assert schema_shape("by_template") == schema_shape("by_migrations")


def test_provisioned_admin_user_exists_only_in_the_new_tenants_schema(db):
    tenant_create(slug="hooli", name="Hooli", admin_email="gavin@hooli.test", admin_password="hooli-pass-1")
    hooli = Tenant.objects.get(slug="hooli")
    with tenant_context(hooli):
        admin = get_user_model().objects.get()
        assert (admin.username, admin.is_superuser) == ("gavin", True)
    with tenant_context(Tenant.objects.get(slug="acme")):
        assert not get_user_model().objects.filter(username="gavin").exists()


@pytest.mark.parametrize(
    ("slug", "message"),
    [
        ("Acme2", "invalid slug"),
        ("public", "reserved"),
        ("www", "reserved"),
        ("a" * 31, "invalid slug"),
        ("acme", "already taken"),
        ("bad_slug", "invalid slug"),
        ("-lead", "invalid slug"),
        ("x; drop schema acme", "invalid slug"),
    ],
)
def test_bad_slug_is_refused_and_leaves_nothing_behind(db, slug, message):
    schemas_before = _schemas()
    tenants_before = Tenant.objects.count()
    with pytest.raises(ProvisioningError, match=message):
        tenant_create(slug=slug, name="X", admin_email="x@x.test")
    assert Tenant.objects.count() == tenants_before
    assert _schemas() == schemas_before


def test_bad_email_and_empty_name_are_refused_before_anything_is_written(db):
    with pytest.raises(ProvisioningError, match="invalid admin email"):
        tenant_create(slug="newco", name="NewCo", admin_email="not-an-email")
    with pytest.raises(ProvisioningError, match="name must not be empty"):
        tenant_create(slug="newco", name="  ", admin_email="a@newco.test")
    assert not Tenant.objects.filter(slug="newco").exists()
    assert not schema_exists("newco")


def test_failure_after_the_schema_was_created_leaves_no_orphan_schema(db, monkeypatch):
    def explode(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(get_user_model().objects, "create_superuser", explode)
    with pytest.raises(RuntimeError, match="disk full"):
        tenant_create(slug="doomed", name="Doomed", admin_email="a@doomed.test")
    assert not schema_exists("doomed")
    assert not Tenant.objects.filter(slug="doomed").exists()
    assert not Domain.objects.filter(domain__startswith="doomed.").exists()


def test_deleting_a_tenant_drops_its_schema_and_registry_rows(db):
    tenant_create(slug="shortlived", name="Short", admin_email="a@short.test")
    tenant_delete(tenant=Tenant.objects.get(slug="shortlived"))
    assert not schema_exists("shortlived")
    assert not Domain.objects.filter(domain__startswith="shortlived.").exists()


def test_create_tenant_command_prints_the_url_and_the_admin_login(db, capsys):
    call_command(
        "create_tenant", "umbrella", name="Umbrella", admin_email="alice@umbrella.test", admin_password="umbrella-pass"
    )
    out = capsys.readouterr().out
    assert f"http://umbrella.{settings.BASE_DOMAIN}/" in out
    assert "alice / umbrella-pass" in out


def test_create_tenant_command_rejects_a_reserved_slug_with_a_command_error(db):
    with pytest.raises(CommandError, match="slug 'www' is reserved"):
        call_command("create_tenant", "www", name="W", admin_email="a@w.test")


def test_create_tenant_command_exits_nonzero_with_one_readable_line(db):
    env = {**os.environ, "DATABASE_URL": _test_database_url()}
    result = subprocess.run(
        [sys.executable, "manage.py", "create_tenant", "Not-Valid", "--name", "X", "--admin-email", "x@x.test"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        "CommandError: invalid slug 'Not-Valid': use 2-30 lowercase letters, digits or hyphens, starting with a letter"
    ]


def test_stale_template_is_migrated_before_it_is_used(django_db_setup, django_db_blocker):
    """A template that lags the code (here: sessions unapplied) is brought up to date, never cloned as it is."""
    template = settings.TENANT_TEMPLATE_SCHEMA
    with django_db_blocker.unblock():
        call_command(
            "migrate_schemas", "sessions", "zero", schema_name=template, tenant=True, verbosity=0, interactive=False
        )
        connection.set_schema_to_public()
        assert schema_template.applied_migrations(template) != schema_template.code_migrations()
        try:
            tenant_create(slug="fresh-check", name="Fresh", admin_email="a@fresh.test")
            assert schema_template.applied_migrations(template) == schema_template.code_migrations()
            assert schema_shape("fresh_check")["migrations"] == schema_template.code_migrations()
            with connection.cursor() as cursor:
                cursor.execute("SELECT to_regclass('fresh_check.django_session')")
                assert cursor.fetchone()[0] is not None
        finally:
            tenant = Tenant.objects.filter(slug="fresh-check").first()
            if tenant is not None:
                tenant_delete(tenant=tenant)


def test_refreshing_a_stale_template_inside_a_transaction_is_refused_with_a_clear_error(db, monkeypatch):
    monkeypatch.setattr(schema_template, "applied_migrations", lambda schema: frozenset())
    with pytest.raises(schema_template.TemplateError, match="cannot be refreshed inside a transaction"):
        tenant_create(slug="in-tx", name="X", admin_email="a@x.test")
    assert not Tenant.objects.filter(slug="in-tx").exists()


def test_schema_rename_touches_only_the_template_name():
    sql = "CREATE TABLE _tenant_template.t (x text DEFAULT 'my_tenant_template.'); SELECT setval('_tenant_template.s')"
    renamed = schema_template.rename_schema_in_sql(sql, "_tenant_template", "acme")
    assert renamed == "CREATE TABLE \"acme\".t (x text DEFAULT 'my_tenant_template.'); SELECT setval('\"acme\".s')"


def _schemas() -> set[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT nspname FROM pg_namespace")
        return {row[0] for row in cursor.fetchall()}


def _test_database_url() -> str:
    db = settings.DATABASES["default"]
    return f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"
