"""The lock order of every writer that touches stock. Each writer follows it; the others refer here.

A transaction that changes stock takes its row locks in this order, and only these:

0. The item rows whose quantities it records, FOR KEY SHARE (`hold_items` below; `inventory_post_move` does it
   first thing for a move's item, `lock_level` for a count's or a reservation's). Whoever records a quantity of an
   item (a move, an order line, a BOM line, a work order, a conversion factor, a reservation) holds its item row so
   that the item's stock unit cannot change under it: Django's foreign keys are DEFERRABLE INITIALLY DEFERRED, so the
   key-share lock of the foreign-key check itself comes only at COMMIT, too late. Python writers then refuse when the
   unit they checked the quantity against is no longer the item's (`hold_items`); the posting function re-checks
   the quantity's precision against the unit it holds (`unit_changed`), and refuses a move posted with lots of an
   item no longer tracked, or without lots of one now tracked (the services say which by the transaction setting
   `inventory.lots_for_item`).
1. The document row, alone: the sales or purchase order (`orders.services.engine.lock_order`), the work
   order (`production.services.work_orders.lock_work_order`), then that document's own child rows (order lines,
   work order components) in primary-key order. Always `select_for_update(of=("self",))`: a `select_related`
   without `of=` would lock the joined rows too.
2. The existing stock level rows it will change, all in one statement, in primary-key order (`lock_levels` below;
   `inventory_post_move` does the same for the one or two levels of a move, `lock_level` for the one of a count or
   a reservation).
2b. The valuation rows (`ItemValuation`, one per item) of the items it moves into or out of the plant, in item
   order, after the levels: a document posting several items takes them all at once (`valuation.valuation_lock`);
   a single move's statement upserts its one row right after `inventory_post_move` has locked its levels.
3. Level rows that do not exist yet are created (INSERT ... ON CONFLICT DO NOTHING) before they are locked: by
   a single move before any lock of its own, by a delivery or a work order after step 2, in item order. A new row
   only makes a writer wait for another writer creating the same row, never for a lock that writer holds.
4. Then the writes: moves, reservation entries, delivery lines, audit rows, the document's status.

Step 0 may come later than "first" (a delivery learns its items from its locked lines, and its moves take the key
share inside the posting function, after step 2) without any risk of deadlock, because of who the key share can
wait for. FOR KEY SHARE conflicts only with FOR UPDATE (and with DELETE or a change of the key); it does not wait for
other key-sharers, for FOR NO KEY UPDATE or for plain UPDATEs of the item, and it does not queue behind a FOR UPDATE
that is itself still waiting (PostgreSQL grants a key share on a row that holds only compatible locks at once).
The only FOR UPDATE of an item is a change of its stock unit or tracking (`item_update` via `lock_item_for_change`)
and the DELETE of an item: each is the first lock of its own transaction, and while holding it that transaction reads
the item's history and writes the item and an audit row, waiting for no row any stock writer holds. So a writer
waiting on an item waits for a transaction that waits for no one: no cycle, wherever step 0 falls. The change in turn
waits for every writer holding the item, then (READ COMMITTED: each statement sees what committed before it) finds
their rows in its history check and refuses; a writer that arrives after the change took the lock waits for it and
then sees the new unit.

Never master data FOR UPDATE otherwise. Inserting a move, a level, a reservation entry, a delivery or a work order's
location takes a FOR KEY SHARE lock on the item, the location and the user it points to (the foreign-key check). A
writer that held such a row FOR UPDATE (e.g. a sales order locked with `select_related("location")` and no `of=`)
makes every other writer at that location wait for it while holding its level locks: a deadlock, and every stock
write at the location serialised behind one document. Master-data edits take FOR NO KEY UPDATE (a plain UPDATE, or
`select_for_update(no_key=True)`), which does not conflict with those key-share locks.

Two writers that follow this order never wait on each other in a cycle. What still goes wrong (a lock taken in
another order by code not written yet, a serialization failure) is retried whole at the service boundary by
`core.retry.retry_on_conflict`, which every public stock-writing service wears; past its bound the caller gets
`TransientConflict` (503 in the API), never a 500.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal

from django.db import connection

from core.errors import DomainError
from inventory.models import Item
from inventory.services.errors import InvalidQuantity

_LOCK_LEVELS = (
    "SELECT l.id FROM inventory_stocklevel l"
    " JOIN unnest(%s::bigint[], %s::bigint[]) AS pair(item_id, location_id)"
    " ON l.item_id = pair.item_id AND l.location_id = pair.location_id"
    " ORDER BY l.id FOR UPDATE OF l"
)


def lock_levels(pairs: Iterable[tuple[int, int]]) -> None:
    """Lock the existing level rows of these (item_id, location_id) pairs in primary-key order, in one statement
    (step 2 above), so inventory's own per-move locks are then taken on rows this transaction already holds."""
    pairs = sorted(set(pairs))
    if not pairs:
        return
    with connection.cursor() as cursor:
        cursor.execute(_LOCK_LEVELS, [[item for item, _ in pairs], [location for _, location in pairs]])


# The unit's code by a subquery, not a join: a row that waited for a unit change is re-checked in its new version,
# which a join would still pair with the old unit's row, and drop.
_HOLD_ITEMS = (
    "SELECT i.id, i.uom_id, (SELECT u.code FROM inventory_unitofmeasure u WHERE u.id = i.uom_id)"
    " FROM inventory_item i WHERE i.id = ANY(%s) ORDER BY i.id FOR KEY SHARE"
)


def hold_items(
    items: Iterable[Item], *, field: str = "quantity", error: type[DomainError] = InvalidQuantity, where: str = ""
) -> None:
    """Step 0: hold these items FOR KEY SHARE until commit, so their stock unit cannot change under the quantities
    this transaction records; refused when one's unit is no longer the one its quantities were checked against
    (`item.uom_id` as the caller loaded it): the change committed first."""
    wanted: dict[int, Item] = {}
    for item in items:
        if item.pk is not None:
            wanted.setdefault(item.pk, item)
    if not wanted:
        return
    with connection.cursor() as cursor:
        cursor.execute(_HOLD_ITEMS, [sorted(wanted)])
        held = {pk: (uom_id, code) for pk, uom_id, code in cursor.fetchall()}
    for pk, item in sorted(wanted.items()):
        if pk in held and held[pk][0] != item.uom_id:
            message = (
                f"item {item.sku}: its stock unit changed to {held[pk][1]} while this was entered; "
                f"enter its quantity again in {held[pk][1]}"
            )
            raise error(f"{where}: {message}" if where else message, field=field)


def unit_changed(item: Item, quantity: Decimal) -> InvalidQuantity:
    """A move that waited for a change of its item's stock unit and cannot be counted in the new one."""
    fresh = Item.objects.select_related("uom").filter(pk=item.pk).first()
    unit = fresh.uom if fresh is not None else item.uom
    return InvalidQuantity(
        f"item {item.sku}: its stock unit changed to {unit.code} while this was entered, and "
        f"{quantity.normalize():f} cannot be counted in {unit.code} ({unit.decimals} decimal places); enter the "
        "quantity again",
        field="quantity",
    )


def lock_item_for_change(item: Item) -> Item | None:
    """The item's row FOR UPDATE (only its own row: `of=`), for a change that the quantities recorded depend on
    (its stock unit, its tracking): waits for every writer holding the item (step 0), and none can start until
    commit. The caller checks the item's history after this, so it sees what those writers committed."""
    return Item.objects.select_for_update(of=("self",)).select_related("uom").filter(pk=item.pk).first()
