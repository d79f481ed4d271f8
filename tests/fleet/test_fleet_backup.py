"""Per-tenant backup and restore: a round trip reproduces every table, row for row."""

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.db import connection
from django.test import Client
from django_tenants.utils import schema_exists, tenant_context

from fleet.backup import read_backup, table_digests, write_archive
from fleet.models import TenantArchive, TenantAuditEvent
from tenants.models import Tenant
from tests.fleet.fleet_support import committed_db, committed_tenants

db = committed_db
pytestmark = pytest.mark.usefixtures("db")


def _digests(schema_name: str):
    with connection.cursor() as cursor:
        return table_digests(cursor, schema_name)


def _fill(tenant) -> None:
    """Rows with awkward content: tabs, newlines, backslashes, quotes, and the schema's own name."""
    with tenant_context(tenant):
        users = get_user_model().objects
        for i in range(25):
            users.create_user(
                username=f"user{i}",
                email=f"u{i}@{tenant.slug}.test",
                first_name=f"tab\there {i}",
                last_name=f"line\nbreak \\ 'q' {tenant.schema_name}.x",
            )


def test_backup_then_restore_as_new_slug_gives_identical_tables(tmp_path, django_db_blocker):
    with committed_tenants(django_db_blocker, "fleet-bk") as (tenant,):
        _fill(tenant)
        path = tmp_path / "fleet-bk.tar.gz"
        call_command("tenant_backup", "fleet-bk", "-o", str(path))
        manifest = read_backup(path).manifest
        assert manifest["tenant"]["slug"] == "fleet-bk"
        assert manifest["tables"]["auth_user"]["rows"] == 26  # the admin and 25 users

        call_command("tenant_restore", str(path), "--as", "fleet-bk2")
        try:
            restored = Tenant.objects.get(slug="fleet-bk2")
            assert restored.schema_name == "fleet_bk2" and restored.status == "active"
            assert list(restored.domains.values_list("domain", flat=True)) == ["fleet-bk2.localhost"]
            original, copy = _digests("fleet_bk"), _digests("fleet_bk2")
            # A copy keeps no credential of the original (passwords made unusable): every other table is identical.
            assert {k: v for k, v in original.items() if k != "auth_user"} == {
                k: v for k, v in copy.items() if k != "auth_user"
            }
            assert original["auth_user"].rows == copy["auth_user"].rows == 26
            with tenant_context(restored):
                user = get_user_model().objects.get(username="user3")
            assert user.last_name == "line\nbreak \\ 'q' fleet_bk.x"  # data never renamed
            assert Client(HTTP_HOST="fleet-bk2.localhost").get("/").status_code != 404
            connection.set_schema_to_public()  # the request left the connection in the tenant's context
            actions = set(TenantAuditEvent.objects.filter(tenant_slug__in=["fleet-bk", "fleet-bk2"])
                          .values_list("tenant_slug", "action"))  # fmt: skip
            assert actions == {("fleet-bk", "backup"), ("fleet-bk2", "restore")}
            assert TenantArchive.objects.get(tenant_slug="fleet-bk").location == str(path.resolve())
        finally:
            from tenants.services import tenant_delete

            connection.set_schema_to_public()
            tenant_delete(tenant=Tenant.objects.get(slug="fleet-bk2"))
            TenantAuditEvent.objects.filter(tenant_slug="fleet-bk2").delete()
            TenantArchive.objects.filter(tenant_slug="fleet-bk").delete()


def test_restore_over_an_existing_tenant_is_refused_unless_replace(tmp_path, django_db_blocker):
    with committed_tenants(django_db_blocker, "fleet-bk") as (tenant,):
        _fill(tenant)
        path = tmp_path / "fleet-bk.tar.gz"
        call_command("tenant_backup", "fleet-bk", "-o", str(path))
        before = _digests("fleet_bk")
        with connection.cursor() as cursor:
            cursor.execute("UPDATE fleet_bk.auth_user SET first_name = 'changed' WHERE username LIKE 'user1%%'")
        assert _digests("fleet_bk") != before

        with pytest.raises(CommandError, match="--replace"):
            call_command("tenant_restore", str(path))

        call_command("tenant_restore", str(path), "--replace")
        assert _digests("fleet_bk") == before
        assert Tenant.objects.get(slug="fleet-bk").status == "active"
        TenantArchive.objects.filter(tenant_slug="fleet-bk").delete()


def test_restore_that_does_not_reproduce_the_data_leaves_nothing(tmp_path, django_db_blocker):
    with committed_tenants(django_db_blocker, "fleet-bk"):
        path = tmp_path / "fleet-bk.tar.gz"
        call_command("tenant_backup", "fleet-bk", "-o", str(path))
        backup = read_backup(path)
        backup.manifest["tables"]["auth_user"]["rows"] = 99
        forged = tmp_path / "forged.tar.gz"
        write_archive(forged, backup.manifest, backup.dump)  # a consistent file (sha256s match): only the data differs

        with pytest.raises(CommandError, match="differs from the backup in auth_user"):
            call_command("tenant_restore", str(forged), "--as", "fleet-bk3")
        assert not schema_exists("fleet_bk3")
        assert not Tenant.objects.filter(slug="fleet-bk3").exists()
        TenantArchive.objects.filter(tenant_slug="fleet-bk").delete()
