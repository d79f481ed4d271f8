"""Stock moves are posted only through inventory_post_move(): the tenant's role may no longer write the ledger.

The function becomes SECURITY DEFINER (it runs as its owner, the login role that migrates the schema) with its search
path fixed to its own schema and pg_temp, so a caller's search path can never point its table names elsewhere. The
tenant role keeps SELECT on stock moves; of stock levels it may insert empty rows and change only `reserved`
(settings.TENANT_DB_ROLE_TABLE_PRIVILEGES, applied by tenants.db_roles.restrict_tenant_role here and after every
grant). A schema copied from the template or a backup gets its path pinned again by tenants.db_roles.
"""

from django.db import migrations

from core.sql import load_sql

SIGNATURE = (
    "inventory_post_move(bigint, numeric, varchar, bigint, bigint, varchar, integer, bigint, bigint, integer,"
    " timestamptz, boolean, boolean)"
)

DEFINER = load_sql("inventory", "post_move_definer_v1.sql")

INVOKER = f"ALTER FUNCTION {SIGNATURE} SECURITY INVOKER RESET search_path;"

# The tenant role inserts a missing level row before locking it (inventory.services.levels.ensure_level): it starts empty
# whatever was sent. The owner (the function above, a backup restore) inserts as given.
STARTS_EMPTY = load_sql("inventory", "stocklevel_starts_empty_v1.sql")

DROP_STARTS_EMPTY = """
DROP TRIGGER IF EXISTS inventory_stocklevel_starts_empty ON inventory_stocklevel;
DROP FUNCTION IF EXISTS inventory_stocklevel_starts_empty();
"""


def restrict(apps, schema_editor) -> None:
    from tenants.db_roles import restrict_tenant_role

    restrict_tenant_role(schema_editor.connection.schema_name)


class Migration(migrations.Migration):
    dependencies = [("inventory", "0004_post_move_function")]

    operations = [
        migrations.RunSQL(DEFINER, reverse_sql=INVOKER),
        migrations.RunSQL(STARTS_EMPTY, reverse_sql=DROP_STARTS_EMPTY),
        migrations.RunPython(restrict, migrations.RunPython.noop),
    ]
