"""The database refuses UPDATE, DELETE and TRUNCATE of stock moves, whoever asks: the ledger is append-only.

The function is created in the tenant's own schema (first on the search path while migrating), so it travels with
the schema into the provisioning template.
"""

from django.db import migrations

CREATE = """
CREATE FUNCTION inventory_stockmove_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'stock moves are immutable: % refused; post a reversing move instead', TG_OP
        USING ERRCODE = 'restrict_violation';
END
$$;
CREATE TRIGGER inventory_stockmove_immutable
    BEFORE UPDATE OR DELETE ON inventory_stockmove
    FOR EACH ROW EXECUTE FUNCTION inventory_stockmove_immutable();
CREATE TRIGGER inventory_stockmove_no_truncate
    BEFORE TRUNCATE ON inventory_stockmove
    FOR EACH STATEMENT EXECUTE FUNCTION inventory_stockmove_immutable();
"""

DROP = """
DROP TRIGGER IF EXISTS inventory_stockmove_no_truncate ON inventory_stockmove;
DROP TRIGGER IF EXISTS inventory_stockmove_immutable ON inventory_stockmove;
DROP FUNCTION IF EXISTS inventory_stockmove_immutable();
"""


class Migration(migrations.Migration):
    dependencies = [("inventory", "0001_initial")]

    operations = [migrations.RunSQL(CREATE, reverse_sql=DROP)]
