"""The posting function is a reversible tenant migration (0004): unapplying it drops the function, reapplying it
brings it back. Runs inside the test's transaction (PostgreSQL DDL is transactional), in acme's schema."""

from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django_tenants.utils import schema_context

FUNCTION_EXISTS = "SELECT to_regproc('inventory_post_move') IS NOT NULL"


def function_exists() -> bool:
    with connection.cursor() as cursor:
        cursor.execute(FUNCTION_EXISTS)
        return cursor.fetchone()[0]


def migrate_inventory_to(name: str) -> None:
    executor = MigrationExecutor(connection)
    executor.migrate([("inventory", name)])


def test_the_posting_function_migration_can_be_unapplied_and_reapplied(acme):
    with schema_context(acme.schema_name):  # migrations run as the owner, never as the tenant's role
        assert function_exists()
        migrate_inventory_to("0003_default_units_and_receiving")
        assert not function_exists()
        migrate_inventory_to("0004_post_move_function")
        assert function_exists()
