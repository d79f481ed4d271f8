"""The lock order of every writer that touches stock. Each writer follows it; the others refer here.

A transaction that changes stock takes its row locks in this order, and only these:

1. The document row first, alone: the sales or purchase order (`orders.services.engine.lock_order`), the work
   order (`production.services.work_orders._lock`), then that document's own child rows (order lines, work order
   components) in primary-key order. Always `select_for_update(of=("self",))`: a `select_related` without `of=`
   would lock the joined rows too.
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

Never master data FOR UPDATE. Inserting a move, a level, a reservation entry, a delivery or a work order's location
takes a FOR KEY SHARE lock on the item, the location and the user it points to (the foreign-key check). A writer
that held such a row FOR UPDATE (e.g. a sales order locked with `select_related("location")` and no `of=`) makes
every other writer at that location wait for it while holding its level locks: a deadlock, and every stock write
at the location serialised behind one document. Master-data edits take FOR NO KEY UPDATE (a plain UPDATE, or
`select_for_update(no_key=True)`), which does not conflict with those key-share locks.

Two writers that follow this order never wait on each other in a cycle. What still goes wrong (a lock taken in
another order by code not written yet, a serialization failure) is retried whole at the service boundary by
`core.retry.retry_on_conflict`, which every public stock-writing service wears; past its bound the caller gets
`TransientConflict` (503 in the API), never a 500.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db import connection

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
