"""inventory_post_move() takes FOR KEY SHARE on the item row first, so a change of the item's stock unit cannot
commit between a move's checks and its commit (inventory.services.locking, step 0).

Django's foreign keys are DEFERRABLE INITIALLY DEFERRED: the key-share lock of a move's foreign-key check on its
item was only taken at COMMIT, so `item_update` (which locks the item FOR UPDATE and then looks for history) could
find no move, change the unit and commit while the move was still in flight. Now the function locks the item before
anything else and re-checks the quantity against the unit it holds (outcome 'unit_precision' for a move that waited
for a unit change it cannot be counted in), and the item's tracking against whether the caller applies lots (the
transaction setting `inventory.lots_for_item`, set by inventory.services.moves; outcome 'tracking_changed'). Same
function otherwise (migration 0007).
"""

import importlib

from django.db import migrations

from core.sql import load_sql

CREATE = load_sql("inventory", "post_move_v3.sql")
RESTORE = load_sql("inventory", "post_move_v2.sql")
# CREATE OR REPLACE resets SECURITY DEFINER and the pinned search path that 0005 set: both ways re-apply them, or the
# tenant role (which may not write the ledger) could post no move at all.
_V5 = importlib.import_module("inventory.migrations.0005_post_move_only_path")


class Migration(migrations.Migration):
    dependencies = [("inventory", "0013_stock_valuation")]

    operations = [migrations.RunSQL(CREATE + _V5.DEFINER, reverse_sql=RESTORE + _V5.DEFINER)]
