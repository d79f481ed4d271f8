"""Stock valuation: the valuation rows of several items locked at once, and standard costs set from a roll-up.

The moving average itself is kept by the statement that posts each move (inventory.services.moves); this module
holds what documents and production need around it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from decimal import Decimal

from django.db import connection, transaction
from django.db.models import Case, DecimalField, Value, When

from audit.services import audit_record
from core.users import User
from inventory.models import Item

_LOCK_VALUATIONS = """
INSERT INTO inventory_itemvaluation AS v
       (item_id, quantity, value, average_cost, last_unit_cost, last_value_change)
SELECT i.id, 0, 0, 0, 0, 0 FROM inventory_item i WHERE i.id = ANY(%s) ORDER BY i.id
ON CONFLICT (item_id) DO UPDATE SET item_id = v.item_id
"""


def valuation_lock(item_ids: Iterable[int]) -> None:
    """Lock (creating the missing ones) the valuation rows of `item_ids` in item order, in one statement.

    A document posting moves of several items calls it after locking their level rows: each move then locks a
    valuation row already held, so two documents never wait on each other's valuation rows in a cycle (even when
    their levels, at different locations, did not make them wait)."""
    ids = sorted(set(item_ids))
    if not ids:
        return
    with connection.cursor() as cursor:
        cursor.execute(_LOCK_VALUATIONS, [ids])


def item_standard_costs_set(*, costs: Mapping[int, Decimal], user: User, reason: str) -> int:
    """Set the standard cost of the items in `costs` (item id -> cost) in one UPDATE; audit each change with
    `reason` (e.g. the roll-up run that computed them). Returns how many items changed."""
    with transaction.atomic():
        old = dict(Item.objects.filter(pk__in=list(costs)).values_list("pk", "standard_cost"))
        changed = {pk: cost for pk, cost in costs.items() if pk in old and old[pk] != cost}
        if not changed:
            return 0
        Item.objects.filter(pk__in=list(changed)).update(
            standard_cost=Case(
                *(When(pk=pk, then=Value(cost)) for pk, cost in changed.items()),
                output_field=DecimalField(max_digits=18, decimal_places=4),
            )
        )
        for item in Item.objects.filter(pk__in=list(changed)).order_by("pk"):
            audit_record(
                user=user,
                action="inventory.item_standard_cost",
                obj=item,
                changes={"standard_cost": [old[item.pk], item.standard_cost], "reason": [None, reason]},
            )
    return len(changed)


# A move into or out of the plant also changes the item's stock value, in the same statement (so in the same
# transaction, with no round trip more): after the function has locked the move's level rows, the upsert locks the
# item's valuation row (lock order: document, levels in pk order, valuation rows in item order) and applies the move
# at `cost` (the purchase price, a work order's actual cost) or, without one, at the moving average (the standard
# cost while the item has none). Reaching zero on hand takes the whole remaining value out, so no rounding residue
# stays behind. The ledger entry records the unit cost and the value change.
COST_SQL = "COALESCE(%s::numeric, NULLIF(v.average_cost, 0), EXCLUDED.average_cost)"
VALUE_MOVE = (
    ", valued AS ("
    " INSERT INTO inventory_itemvaluation AS v"
    " (item_id, quantity, value, average_cost, last_unit_cost, last_value_change)"
    " SELECT i.id, d.delta, round(d.delta * c.cost, 4), c.cost, c.cost, round(d.delta * c.cost, 4)"
    " FROM posted, (SELECT %s::numeric AS delta) d, inventory_item i,"
    " LATERAL (SELECT COALESCE(%s::numeric, i.standard_cost) AS cost) c"
    " WHERE posted.outcome = 'ok' AND i.id = %s"
    " ON CONFLICT (item_id) DO UPDATE SET"
    " quantity = v.quantity + EXCLUDED.quantity,"
    " value = CASE WHEN v.quantity + EXCLUDED.quantity = 0 THEN 0"
    f" ELSE v.value + round(EXCLUDED.quantity * {COST_SQL}, 4) END,"
    " average_cost = CASE WHEN %s::numeric IS NOT NULL AND v.quantity + EXCLUDED.quantity > 0"
    f" THEN round((v.value + EXCLUDED.quantity * {COST_SQL}) / (v.quantity + EXCLUDED.quantity), 4)"
    f" ELSE {COST_SQL} END,"
    f" last_unit_cost = {COST_SQL},"
    " last_value_change = CASE WHEN v.quantity + EXCLUDED.quantity = 0 THEN -v.value"
    f" ELSE round(EXCLUDED.quantity * {COST_SQL}, 4) END"
    " RETURNING item_id, last_unit_cost, last_value_change),"
    " entry AS (INSERT INTO inventory_valuationentry (item_id, move_id, quantity, unit_cost, value, created_at)"
    " SELECT valued.item_id, posted.move_id, %s, valued.last_unit_cost, valued.last_value_change, %s"
    " FROM valued, posted)"
    " SELECT posted.*, valued.last_unit_cost FROM posted LEFT JOIN valued ON true"
)
UNVALUED = " SELECT posted.*, NULL::numeric FROM posted"


def value_params(item: Item, delta: Decimal, cost: Decimal | None, created_at) -> list[object]:
    """The parameters of VALUE_MOVE, in order."""
    return [delta, cost, item.pk, *[cost] * 6, delta, created_at]
