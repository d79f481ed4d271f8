"""Lot traceability: forward (a lot -> every lot made from it -> the shipments and customers that got them) and
backward (a finished lot or serial -> its component lots -> the receipts and suppliers they came from).

Each direction is one recursive query over `LotGenealogy`, at any depth, joined to the moves of the lots it reaches
(shipments forward, receipts backward). Inventory imports no app above it, so the documents behind those moves are
described by the apps that own them, registered in their `AppConfig.ready`:

    from inventory import traceability
    traceability.register_document("orders.shipment", describe_shipments)

A describer takes the ids of its documents and answers {id: TracedDocument} in one query. A trace is therefore one
query plus one per kind of document it reaches, whatever its depth or size.
"""

from __future__ import annotations

import csv
import datetime
import io
from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum

from django.contrib.contenttypes.models import ContentType
from django.db import connection

from inventory.models import StockMove


class Direction(StrEnum):
    FORWARD = "forward"
    BACKWARD = "backward"


@dataclass(frozen=True)
class TracedDocument:
    """The document behind a move as a person reads it: "Shipment SH-12 of SO-00042", and its partner."""

    kind: str  # e.g. "shipment", "receipt"
    document_id: int
    label: str
    order_number: str = ""
    partner: str = ""
    partner_id: int | None = None


@dataclass
class TracedLot:
    lot_id: int
    code: str
    item_id: int
    item_sku: str
    item_name: str
    is_serial: bool
    supplier_lot: str
    expiry_date: datetime.date | None
    depth: int  # 0: the lot traced; 1: made from it (forward) or went into it (backward); ...
    via: list[int] = field(default_factory=list)  # the lots one level closer to the traced lot


@dataclass
class TracedMove:
    lot_id: int
    lot_code: str
    item_sku: str
    move_id: int
    reason: str
    quantity: Decimal
    moved_at: datetime.datetime
    reference: str
    document: TracedDocument | None


@dataclass
class Trace:
    direction: Direction
    lots: list[TracedLot]  # the traced lot first, then by depth, item and code
    moves: list[TracedMove]  # forward: shipments; backward: receipts; oldest first

    @property
    def root(self) -> TracedLot:
        return self.lots[0]

    def lot(self, lot_id: int) -> TracedLot:
        return next(lot for lot in self.lots if lot.lot_id == lot_id)


Describer = Callable[[Collection[int]], dict[int, TracedDocument]]
_describers: dict[str, Describer] = {}


def register_document(label: str, describe: Describer) -> None:
    """Let the trace describe the documents of model `label` ("app_label.model") behind the moves it finds."""
    _describers[label] = describe


# Walks `LotGenealogy` from the lot at %(root)s: forward from consumed to produced lots, backward the other way.
# UNION (not UNION ALL) keeps one row per (lot, depth, via) so a lot reached by many paths is not multiplied, and
# the depth bound ends the walk even if a lot were ever made from itself. One row per lot reached, at its shortest
# depth, joined to its moves of the direction's end reasons.
_TRACE_SQL = """
WITH RECURSIVE tree(lot_id, depth, via) AS (
    SELECT %(root)s::bigint, 0, NULL::bigint
    UNION
    SELECT g.{next}, t.depth + 1, t.lot_id
    FROM tree t JOIN inventory_lotgenealogy g ON g.{this} = t.lot_id
    WHERE t.depth < %(max_depth)s
),
reached AS (
    SELECT lot_id, MIN(depth) AS depth,
           ARRAY_AGG(DISTINCT via ORDER BY via) FILTER (WHERE via IS NOT NULL) AS via
    FROM tree GROUP BY lot_id
)
SELECT r.depth, r.via, l.id, l.code, l.is_serial, l.supplier_lot, l.expiry_date, i.id, i.sku, i.name,
       m.id, m.reason, ml.quantity, m.created_at, m.reference, m.source_type_id, m.source_id
FROM reached r
JOIN inventory_lot l ON l.id = r.lot_id
JOIN inventory_item i ON i.id = l.item_id
LEFT JOIN (
    inventory_stockmovelot ml JOIN inventory_stockmove m ON m.id = ml.move_id AND m.reason = ANY(%(reasons)s)
) ON ml.lot_id = l.id
ORDER BY r.depth, i.sku, l.code, l.id, m.created_at, m.id
"""

MAX_DEPTH = 64

_ENDS = {
    Direction.FORWARD: [StockMove.Reason.SHIPMENT.value],
    Direction.BACKWARD: [StockMove.Reason.RECEIPT.value],
}


def lot_trace(*, lot_id: int, direction: Direction | str) -> Trace | None:
    """The lot's trace in `direction` at any depth; None when this tenant has no such lot."""
    direction = Direction(direction)
    this, following = ("consumed_lot_id", "produced_lot_id")
    if direction is Direction.BACKWARD:
        this, following = following, this
    sql = _TRACE_SQL.format(this=this, next=following)
    with connection.cursor() as cursor:
        cursor.execute(sql, {"root": lot_id, "max_depth": MAX_DEPTH, "reasons": _ENDS[direction]})
        rows = cursor.fetchall()
    if not rows:
        return None
    lots: dict[int, TracedLot] = {}
    raw_moves = []
    for depth, via, lot, code, is_serial, supplier_lot, expiry, item_id, sku, name, *move in rows:
        if lot not in lots:
            lots[lot] = TracedLot(lot, code, item_id, sku, name, is_serial, supplier_lot, expiry, depth, via or [])
        if move[0] is not None:
            raw_moves.append((lot, *move))
    documents = _describe((row[6], row[7]) for row in raw_moves)
    moves = [
        TracedMove(
            lot,
            lots[lot].code,
            lots[lot].item_sku,
            move_id,
            reason,
            quantity,
            moved_at,
            reference,
            documents.get((source_type, source_id)),
        )
        for lot, move_id, reason, quantity, moved_at, reference, source_type, source_id in raw_moves
    ]
    moves.sort(key=lambda move: (move.moved_at, move.move_id, move.lot_id))
    return Trace(direction=direction, lots=list(lots.values()), moves=moves)


def _describe(sources: Iterable[tuple[int | None, int | None]]) -> dict[tuple[int, int], TracedDocument]:
    """Each (content type, id) described by its app's registered describer: one query per kind of document."""
    wanted: dict[int, set[int]] = {}
    for source_type, source_id in sources:
        if source_type is not None and source_id is not None:
            wanted.setdefault(source_type, set()).add(source_id)
    described: dict[tuple[int, int], TracedDocument] = {}
    for source_type, ids in wanted.items():
        content_type = ContentType.objects.get_for_id(source_type)  # cached per process
        describe = _describers.get(f"{content_type.app_label}.{content_type.model}")
        if describe is None:
            continue
        for document_id, document in describe(ids).items():
            described[(source_type, document_id)] = document
    return described


RECALL_COLUMNS = [
    "direction",
    "depth",
    "item_sku",
    "item_name",
    "lot",
    "serial",
    "supplier_lot",
    "expiry_date",
    "move",
    "date",
    "document",
    "order",
    "partner",
    "quantity",
]


def _cell(value: object) -> object:
    """A text cell a spreadsheet will not run as a formula (a partner named "=HYPERLINK(...)" stays text)."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


class _SafeWriter:
    def __init__(self, out: io.StringIO) -> None:
        self._writer = csv.writer(out)

    def writerow(self, row: Sequence[object]) -> None:
        self._writer.writerow([_cell(value) for value in row])


def recall_csv(trace: Trace) -> str:
    """The trace as a recall list: one row per shipment (forward) or receipt (backward) of every lot reached, then
    one row for each reached lot that has none (so nothing reached is left off the list)."""
    out = io.StringIO()
    writer = _SafeWriter(out)
    writer.writerow(RECALL_COLUMNS)
    with_moves = set()
    for move in trace.moves:
        lot = trace.lot(move.lot_id)
        with_moves.add(lot.lot_id)
        document = move.document
        writer.writerow(
            [
                trace.direction.value,
                lot.depth,
                lot.item_sku,
                lot.item_name,
                lot.code,
                "yes" if lot.is_serial else "no",
                lot.supplier_lot,
                lot.expiry_date.isoformat() if lot.expiry_date else "",
                move.move_id,
                move.moved_at.date().isoformat(),
                document.label if document else move.reference,
                document.order_number if document else "",
                document.partner if document else "",
                f"{move.quantity.normalize():f}",
            ]
        )
    for lot in trace.lots:
        if lot.lot_id not in with_moves:
            writer.writerow(
                [
                    trace.direction.value,
                    lot.depth,
                    lot.item_sku,
                    lot.item_name,
                    lot.code,
                    "yes" if lot.is_serial else "no",
                    lot.supplier_lot,
                    lot.expiry_date.isoformat() if lot.expiry_date else "",
                    *[""] * 6,
                ]
            )
    return out.getvalue()
