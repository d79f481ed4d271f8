"""The database refuses UPDATE, DELETE and TRUNCATE of stock moves, whoever asks: the ledger is append-only.

The function is created in the tenant's own schema (first on the search path while migrating), so it travels with
the schema into the provisioning template.
"""

from django.db import migrations

from core.sql import load_sql

CREATE = load_sql("inventory", "stockmove_immutable_v1.sql")

DROP = """
DROP TRIGGER IF EXISTS inventory_stockmove_no_truncate ON inventory_stockmove;
DROP TRIGGER IF EXISTS inventory_stockmove_immutable ON inventory_stockmove;
DROP FUNCTION IF EXISTS inventory_stockmove_immutable();
"""


class Migration(migrations.Migration):
    dependencies = [("inventory", "0001_initial")]

    operations = [migrations.RunSQL(CREATE, reverse_sql=DROP)]
