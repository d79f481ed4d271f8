"""inventory_post_move() refuses a move that would take the destination level past what its column holds.

numeric(18, 4) holds at most 99999999999999.9999: a receipt that fits on its own (the services bound a quantity below
10^14) could still overflow a level that already holds stock, and PostgreSQL answered "numeric field overflow" (a 500).
The function now returns the outcome 'level_too_large' (with the level's on hand) for the service to turn into a
readable InvalidQuantity, having written nothing. Same function otherwise (migration 0004).
"""

import importlib

from django.db import migrations

from core.sql import load_sql

CREATE = load_sql("inventory", "post_move_v2.sql")

# Back to 0004's definition.
_V4 = importlib.import_module("inventory.migrations.0004_post_move_function")
RESTORE = _V4.CREATE.replace("CREATE FUNCTION", "CREATE OR REPLACE FUNCTION", 1)
# CREATE OR REPLACE resets SECURITY DEFINER and the pinned search path that 0005 set: both ways re-apply them, or the
# tenant role (which may not write the ledger) could post no move at all.
_V5 = importlib.import_module("inventory.migrations.0005_post_move_only_path")


class Migration(migrations.Migration):
    dependencies = [("inventory", "0006_item_sku_unique_ci")]

    operations = [migrations.RunSQL(CREATE + _V5.DEFINER, reverse_sql=RESTORE + _V5.DEFINER)]
