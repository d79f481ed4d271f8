"""inventory_post_move(): the stock-move protocol as one database function, so a move costs one round trip.

`inventory.services.moves._post_move` calls it; nothing else should. In order, it
1. creates the destination level row if it is missing (INSERT ... ON CONFLICT DO NOTHING), before any level row is
   locked: creating a row while holding a lock could deadlock with another transaction creating it;
2. locks the item's level rows at the move's locations with one SELECT ... ORDER BY id FOR UPDATE (primary-key
   order, as every writer of levels does, so two transactions never deadlock);
3. checks the rules under the lock: item known and active, locations known and active, enough available (or
   reserved) stock at the source; a refusal is returned as (outcome, field, amount, code) for the caller to turn into
   its domain error, after removing a level row step 1 created, so a refusal leaves nothing written;
4. inserts the move and updates the levels (the CHECK constraints and the ledger trigger still apply).

Created in the tenant's own schema (first on the search path while migrating) like the ledger trigger, so it
travels with the schema into the provisioning template; its table names resolve through the caller's search path.
"""

from django.db import migrations

from core.sql import load_sql

CREATE = load_sql("inventory", "post_move_v1.sql")

DROP = """
DROP FUNCTION IF EXISTS inventory_post_move(
    bigint, numeric, varchar, bigint, bigint, varchar, integer, bigint, bigint, integer, timestamptz, boolean, boolean
);
"""


class Migration(migrations.Migration):
    dependencies = [("inventory", "0003_default_units_and_receiving")]

    operations = [migrations.RunSQL(CREATE, reverse_sql=DROP)]
