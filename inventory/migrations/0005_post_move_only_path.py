"""Stock moves are posted only through inventory_post_move(): the tenant's role may no longer write the ledger.

The function becomes SECURITY DEFINER (it runs as its owner, the login role that migrates the schema) with its search
path fixed to its own schema and pg_temp, so a caller's search path can never point its table names elsewhere. The
tenant role keeps SELECT on stock moves; of stock levels it may insert empty rows and change only `reserved`
(settings.TENANT_DB_ROLE_TABLE_PRIVILEGES, applied by tenants.db_roles.restrict_tenant_role here and after every
grant). A schema copied from the template or a backup gets its path pinned again by tenants.db_roles.
"""

from django.db import migrations

SIGNATURE = (
    "inventory_post_move(bigint, numeric, varchar, bigint, bigint, varchar, integer, bigint, bigint, integer,"
    " timestamptz, boolean, boolean)"
)

DEFINER = f"""
DO $$ BEGIN
    EXECUTE format('ALTER FUNCTION {SIGNATURE} SECURITY DEFINER SET search_path = %I, pg_temp', current_schema());
END $$;
"""

INVOKER = f"ALTER FUNCTION {SIGNATURE} SECURITY INVOKER RESET search_path;"

# The tenant role inserts a missing level row before locking it (inventory.services._ensure_level): it starts empty
# whatever was sent. The owner (the function above, a backup restore) inserts as given.
STARTS_EMPTY = """
CREATE FUNCTION inventory_stocklevel_starts_empty() RETURNS trigger LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    IF NOT pg_has_role((SELECT relowner FROM pg_class WHERE oid = TG_RELID), 'USAGE') THEN
        NEW.on_hand := 0;
        NEW.reserved := 0;
    END IF;
    RETURN NEW;
END
$$;
CREATE TRIGGER inventory_stocklevel_starts_empty
    BEFORE INSERT ON inventory_stocklevel
    FOR EACH ROW EXECUTE FUNCTION inventory_stocklevel_starts_empty();
"""

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
