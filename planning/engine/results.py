"""What a plan is: per item its daily buckets, planned orders, scheduled receipts, exception messages and pegs; the
weekly view and the one-line-per-item summary."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from planning.engine.data import ZERO, Day, days_before


# --- Output ---------------------------------------------------------------------------------------------------------
@dataclass(slots=True)
class Bucket:
    """One day (or week) of one item. `on_hand` is the projected on hand at the end of the bucket."""

    day: date
    gross: Decimal = ZERO
    receipts: Decimal = ZERO  # scheduled receipts (open purchase and work orders)
    on_hand: Decimal = ZERO
    net: Decimal = ZERO
    planned_receipts: Decimal = ZERO
    planned_releases: Decimal = ZERO


@dataclass(slots=True)
class PegLine:
    """A demand that a supply covers, with the top-level demands (sales orders, work orders, safety stock) it serves."""

    quantity: Decimal
    date: date
    demand: str  # the document, or "PUMP planned order 3", or "safety stock"
    planned_order: int | None  # the planned order above that needs it (dependent demand)
    top: list[str]


@dataclass(slots=True)
class PlannedOrder:
    number: int  # unique within the plan; dependent demand pegs to it
    item_id: int
    sku: str
    kind: str  # "make" or "buy"
    quantity: Decimal
    net: Decimal  # what was short; the lot size may make the order larger
    release: date  # order (buy) or start (make) by then
    due: date
    pegs: list[PegLine] = field(default_factory=list)


@dataclass(slots=True)
class ScheduledReceipt:
    item_id: int
    sku: str
    document: str
    label: str
    quantity: Decimal
    due: date
    in_horizon: bool
    pegs: list[PegLine] = field(default_factory=list)


@dataclass(slots=True)
class MrpException:
    """A message to the planner: expedite a planned order whose release date is past; reschedule an open order in
    or out to the day it is needed; cancel one nobody needs."""

    kind: str  # "expedite", "reschedule_in", "reschedule_out", "cancel"
    item_id: int
    sku: str
    label: str  # the planned order or the document
    quantity: Decimal
    date: date  # its release (expedite) or due date
    to_date: Day | None  # reschedule: the day it is needed
    message: str


@dataclass(slots=True)
class ItemPlan:
    item_id: int
    sku: str
    name: str
    uom: str
    procurement: str
    lead_time_days: int
    low_level_code: int
    lot_sizing: str
    safety_stock: Decimal
    on_hand: Decimal  # free stock at the start
    buckets: list[Bucket]  # the days with activity, today first
    demand_from: list[str]  # the documents (or planned orders above) behind its gross requirements

    def weeks(self) -> list[Bucket]:
        return weekly(self.buckets)


@dataclass(slots=True)
class MrpPlan:
    today: date
    horizon_days: int | None
    items: list[ItemPlan]
    planned_orders: list[PlannedOrder]
    receipts: list[ScheduledReceipt]
    exceptions: list[MrpException]


def weekly(buckets: list[Bucket]) -> list[Bucket]:
    """Daily buckets summed per week (keyed by its Monday); the on hand is the one at the end of the week."""
    weeks: dict[date, Bucket] = {}
    for bucket in buckets:
        monday = days_before(bucket.day, bucket.day.weekday())
        week = weeks.get(monday)
        if week is None:
            week = weeks[monday] = Bucket(monday)
        week.gross += bucket.gross
        week.receipts += bucket.receipts
        week.net += bucket.net
        week.planned_receipts += bucket.planned_receipts
        week.planned_releases += bucket.planned_releases
        week.on_hand = bucket.on_hand
    return list(weeks.values())


@dataclass(slots=True)
class MrpLine:
    """One item's plan in a line: what it needs in all, and its first planned order."""

    item_id: int
    sku: str
    name: str
    uom: str
    gross_requirement: Decimal  # independent demand plus what planned parents need
    available: Decimal  # on hand - reserved, all locations
    open_supply: Decimal  # scheduled receipts within the horizon
    shortage: Decimal  # the sum of net requirements
    action: str  # the item's procurement: "make" or "buy"
    need_date: date  # the first planned order's due date
    suggested_date: date  # its release: order (buy) or start (make) by then
    lead_time_days: int
    late: bool  # suggested date is already past
    sources: list[str] = field(default_factory=list)  # the demand behind it (first few)


def summary(result: MrpPlan) -> list[MrpLine]:
    """One line per item with planned orders, by suggested date."""
    first: dict[int, PlannedOrder] = {}
    for order in result.planned_orders:
        first.setdefault(order.item_id, order)
    lines = []
    for item in result.items:
        found = first.get(item.item_id)
        if found is None:
            continue
        order = found
        lines.append(
            MrpLine(
                item.item_id, item.sku, item.name, item.uom,
                sum((b.gross for b in item.buckets), ZERO).normalize(), item.on_hand.normalize(),
                sum((b.receipts for b in item.buckets), ZERO).normalize(),
                sum((b.net for b in item.buckets), ZERO).normalize(), item.procurement, order.due, order.release,
                item.lead_time_days, order.release < result.today, item.demand_from[:5],
            )
        )  # fmt: skip
    lines.sort(key=lambda line: (line.suggested_date, line.sku))
    return lines
