"""Tenant roles live and die with their schemas (committed state: provisioning and offboarding commit)."""

import pytest
from django.db import connection

from tenants import db_roles
from tests.fleet.fleet_support import committed_db, committed_tenants

db = committed_db
pytestmark = pytest.mark.usefixtures("db")


def test_provisioning_creates_the_role_and_archiving_or_deleting_removes_it(django_db_blocker, tmp_path):
    from fleet.offboarding import tenant_archive
    from tenants.services import tenant_delete

    def role_exists(schema_name: str) -> bool:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", [db_roles.role_name(schema_name)])
            return cursor.fetchone() is not None

    with committed_tenants(django_db_blocker, "role-kept", "role-gone") as (kept, gone):
        assert role_exists("role_kept") and role_exists("role_gone")
        tenant_archive(tenant=kept, actor="test", path=tmp_path / "kept.tar.gz")
        tenant_delete(tenant=gone)
        assert not role_exists("role_kept") and not role_exists("role_gone")
