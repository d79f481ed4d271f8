"""Offboarding: suspend, resume, archive (then restore), hard delete; every one audited."""

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.db import connection
from django.test import Client
from django_tenants.utils import schema_exists, tenant_context

from fleet.models import TenantArchive, TenantAuditEvent
from tenants.models import Tenant
from tests.fleet.fleet_support import committed_db, committed_tenants

db = committed_db
pytestmark = pytest.mark.usefixtures("db")

HOST = "fleet-off.localhost"


def _actions(slug: str) -> list[tuple[str, str]]:
    return list(TenantAuditEvent.objects.filter(tenant_slug=slug).order_by("at", "pk").values_list("action", "actor"))


def _user_count(tenant) -> int:
    with tenant_context(tenant):
        return get_user_model().objects.count()


def test_suspended_host_answers_403_keeps_its_data_and_resume_reopens_it(django_db_blocker):
    with committed_tenants(django_db_blocker, "fleet-off") as (tenant,):
        users = _user_count(tenant)
        call_command("tenant_suspend", "fleet-off", "--actor", "ops:alice", "--reason", "unpaid")

        response = Client(HTTP_HOST=HOST).get("/")
        assert response.status_code == 403
        assert b"suspended" in response.content.lower()
        assert Tenant.objects.get(slug="fleet-off").status == "suspended"
        assert schema_exists("fleet_off") and _user_count(tenant) == users

        call_command("tenant_resume", "fleet-off", "--actor", "ops:bob")
        assert Client(HTTP_HOST=HOST).get("/").status_code not in (403, 404, 410)
        assert _actions("fleet-off") == [("suspend", "ops:alice"), ("resume", "ops:bob")]
        assert TenantAuditEvent.objects.filter(tenant_slug="fleet-off", action="suspend").get().details == {
            "reason": "unpaid"
        }


def test_archive_writes_the_backup_first_drops_the_schema_and_restore_brings_it_back(tmp_path, django_db_blocker):
    with committed_tenants(django_db_blocker, "fleet-off") as (tenant,):
        with tenant_context(tenant):
            get_user_model().objects.create_user(username="keeper", email="keeper@fleet-off.test")
        users = _user_count(tenant)
        path = tmp_path / "fleet-off.tar.gz"

        call_command("tenant_archive", "fleet-off", "-o", str(path), "--actor", "ops:alice")

        archived = Tenant.objects.get(slug="fleet-off")
        assert archived.status == "archived"
        assert not schema_exists("fleet_off")
        assert path.exists()
        assert TenantArchive.objects.filter(tenant=archived).latest().location == str(path.resolve())
        assert Client(HTTP_HOST=HOST).get("/").status_code == 410
        assert [a for a, _ in _actions("fleet-off")] == ["suspend", "backup", "archive"]
        assert TenantAuditEvent.objects.get(tenant_slug="fleet-off", action="archive").details["location"] == str(
            path.resolve()
        )

        call_command("tenant_restore", str(path), "--actor", "ops:bob")

        restored = Tenant.objects.get(slug="fleet-off")
        assert restored.pk == archived.pk and restored.status == "active"
        assert _user_count(restored) == users
        assert Client(HTTP_HOST=HOST).get("/").status_code not in (403, 404, 410)
        assert _actions("fleet-off")[-1] == ("restore", "ops:bob")
        TenantArchive.objects.filter(tenant_slug="fleet-off").delete()


def test_hard_delete_needs_the_slug_typed_back_and_leaves_the_audit_trail(django_db_blocker):
    with committed_tenants(django_db_blocker, "fleet-off"):
        with pytest.raises(CommandError, match="--confirm fleet-off"):
            call_command("tenant_delete", "fleet-off", "--confirm", "fleet-of")
        assert schema_exists("fleet_off")

        call_command("tenant_delete", "fleet-off", "--confirm", "fleet-off", "--actor", "ops:carol")

        assert not schema_exists("fleet_off")
        assert not Tenant.objects.filter(slug="fleet-off").exists()
        event = TenantAuditEvent.objects.get(tenant_slug="fleet-off", action="delete")
        assert event.tenant is None and event.actor == "ops:carol"
        assert Client(HTTP_HOST=HOST).get("/").status_code == 404


def test_migrate_fleet_and_migrate_schemas_pass_over_an_archived_tenant(tmp_path, django_db_blocker):
    with committed_tenants(django_db_blocker, "fleet-off"):
        call_command("tenant_archive", "fleet-off", "-o", str(tmp_path / "a.tar.gz"))
        call_command("migrate_schemas", tenant=True, interactive=False, verbosity=0)
        call_command("migrate_fleet", "--skip-shared", verbosity=0)
        assert not schema_exists("fleet_off")
        TenantArchive.objects.filter(tenant_slug="fleet-off").delete()


def test_public_admin_lists_fleet_records(django_db_blocker, tmp_path):
    with committed_tenants(django_db_blocker, "fleet-off"):
        call_command("tenant_suspend", "fleet-off")
        admin = get_user_model().objects.create_superuser("fleet-admin", "root@example.test", "pw-123456789")
        try:
            client = Client(HTTP_HOST="localhost")
            client.force_login(admin)
            fleet = ["tenantauditevent", "tenantarchive", "fleetmigrationrun", "fleetmigrationrecord"]
            for page in [*(f"fleet/{name}" for name in fleet), "tenants/tenant"]:
                assert client.get(f"/admin/{page}/").status_code == 200, page
            assert b"fleet-off" in client.get("/admin/fleet/tenantauditevent/").content
        finally:
            # Raw: an ORM delete would cascade into tenant-only tables that do not exist in the public schema.
            with connection.cursor() as cursor:
                cursor.execute("DELETE FROM public.auth_user WHERE id = %s", [admin.pk])
