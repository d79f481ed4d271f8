"""The second isolation layer: each tenant schema is reachable only through the tenant's own PostgreSQL role, which
code running as that tenant switches to with the search path (tenants.db_roles, erp.db_backend)."""

import pytest
from django.db import DatabaseError, connection, transaction
from django_tenants.utils import schema_context, tenant_context

from tenants import db_roles


def _whoami() -> tuple[str, str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_user, current_setting('search_path')")
        return cursor.fetchone()


def test_code_running_as_a_tenant_runs_as_its_role_with_its_search_path(acme):
    with tenant_context(acme):
        user, search_path = _whoami()
    assert user == db_roles.role_name("acme")
    assert search_path == "acme, public"


def test_public_and_schema_by_name_run_as_the_login_role(acme):
    login = connection.settings_dict["USER"] or "postgres"
    with tenant_context(acme):
        _whoami()
        with schema_context("acme"):
            assert _whoami() == (login, "acme, public")
    connection.set_schema_to_public()
    assert _whoami() == (login, "public")


def test_raw_sql_naming_another_tenants_schema_is_refused_by_postgresql(acme, globex):
    with tenant_context(acme):
        with pytest.raises(DatabaseError, match="permission denied for schema globex"), transaction.atomic():
            connection.cursor().execute("SELECT count(*) FROM globex.inventory_item")
        with connection.cursor() as cursor:  # its own schema, named or not, is fine
            cursor.execute("SELECT count(*) FROM acme.inventory_item")
            cursor.execute("SELECT count(*) FROM inventory_item")


def test_a_tenant_role_cannot_reset_itself_into_another_tenant_through_the_search_path(acme):
    # Without USAGE on globex's schema, PostgreSQL skips it in the search path: the table is simply not there.
    with tenant_context(acme), pytest.raises(DatabaseError, match="does not exist"), transaction.atomic():
        cursor = connection.cursor()
        cursor.execute("SET LOCAL search_path = globex, public")
        cursor.execute("SELECT count(*) FROM inventory_item")


def test_a_tenant_role_reads_the_shared_registry_but_not_public_users_or_fleet_records(acme):
    with tenant_context(acme):
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM public.tenants_tenant")
        for table in ("public.auth_user", "public.tenants_tenantauditevent", "public.tenants_schematemplate"):
            with pytest.raises(DatabaseError, match="permission denied"), transaction.atomic():
                connection.cursor().execute(f"SELECT 1 FROM {table}")
        with pytest.raises(DatabaseError, match="permission denied"), transaction.atomic():
            connection.cursor().execute("UPDATE public.tenants_tenant SET plan = 'premium'")


def test_a_failed_statement_does_not_lose_the_context_of_the_next_one(acme):
    with tenant_context(acme):
        with pytest.raises(DatabaseError), transaction.atomic():
            connection.cursor().execute("SELECT * FROM no_such_table")
        assert _whoami()[0] == db_roles.role_name("acme")


def test_server_side_cursors_run_in_the_tenant_context(acme):
    from inventory.models import UnitOfMeasure

    with tenant_context(acme), transaction.atomic():
        UnitOfMeasure.objects.create(code="srv", name="server side")
        connection.set_schema_to_public()
        with tenant_context(acme):
            codes = [unit.code for unit in UnitOfMeasure.objects.all().iterator(chunk_size=2)]
        assert "srv" in codes
        transaction.set_rollback(True)


def test_role_names_carry_the_database_so_parallel_databases_never_share_a_role():
    assert db_roles.role_name("acme", "erp_a") != db_roles.role_name("acme", "erp_b")
    assert len(db_roles.role_name("x" * 63, "erp")) <= 63


def test_a_table_a_later_migration_adds_is_usable_by_the_tenant_role(acme):
    with schema_context("acme"), connection.cursor() as cursor:  # migrations run as the owner
        cursor.execute("CREATE TABLE acme.later_migration_table (id serial PRIMARY KEY, note text)")
    with tenant_context(acme), connection.cursor() as cursor:
        cursor.execute("INSERT INTO later_migration_table (note) VALUES ('added later') RETURNING id")
        assert cursor.fetchone()[0] == 1
