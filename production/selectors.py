"""Reads of production: BOM explosion and where-used (one recursive CTE each), work order views, the MRP report.

The CTEs name no schema: the connection's search path is already the tenant's. Trees only follow active BOMs, and
every walk carries its path so that a cycle in the data (the services refuse them) could not make it loop.
"""

from __future__ import annotations

from collections import defaultdict, deque
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import ROUND_UP, Decimal
from typing import NamedTuple

from django.db import connection
from django.db.models import DecimalField, F, QuerySet, Sum
from django.utils import timezone

from inventory.models import Item, StockLevel
from inventory.supply import on_order_quantities
from production.models import Bom, BomLine, WorkOrder, WorkOrderComponent
from production.mrp import PURCHASE_SUPPLY, DemandLine, SupplyLine, demand_sources, supply_sources

PLACES = Decimal("0.0001")


# --- Explosion -----------------------------------------------------------------------------------------------------
class ExplosionRow(NamedTuple):
    depth: int  # 1: a direct component of the exploded item
    line_id: int
    parent_item_id: int
    item_id: int
    sku: str
    name: str
    uom: str
    quantity_per: Decimal  # per unit of the parent, as written on the BOM line
    scrap_percent: Decimal
    total_quantity: Decimal  # for the whole quantity, scrap of this line and every level above included (10 places)
    has_bom: bool  # a sub-assembly: its own rows follow, one level deeper


@dataclass(frozen=True)
class LeafRequirement:
    item_id: int
    sku: str
    name: str
    uom: str
    total_quantity: Decimal


@dataclass
class Explosion:
    item: Item
    quantity: Decimal
    rows: list[ExplosionRow]  # depth first: each sub-assembly followed by its own components
    leaves: list[LeafRequirement]  # total per purchased (leaf) component, by SKU


_EXPLOSION_SQL = """
WITH RECURSIVE tree AS (
    SELECT l.id AS line_id, 1 AS depth, b.item_id AS parent_id, l.component_id, l.quantity, l.scrap_percent,
           %(quantity)s::numeric * l.quantity * (1 + l.scrap_percent * 0.01) AS total,
           ARRAY[l.position::bigint, l.id] AS sort_key, ARRAY[b.item_id, l.component_id] AS item_path
    FROM production_bom b JOIN production_bomline l ON l.bom_id = b.id
    WHERE b.item_id = %(item)s AND b.is_active
    UNION ALL
    SELECT l.id, t.depth + 1, b.item_id, l.component_id, l.quantity, l.scrap_percent,
           t.total * l.quantity * (1 + l.scrap_percent * 0.01),
           t.sort_key || l.position::bigint || l.id, t.item_path || l.component_id
    FROM tree t
    JOIN production_bom b ON b.item_id = t.component_id AND b.is_active
    JOIN production_bomline l ON l.bom_id = b.id
    WHERE NOT l.component_id = ANY(t.item_path)
)
SELECT t.depth, t.line_id, t.parent_id, t.component_id, i.sku, i.name, u.code, t.quantity, t.scrap_percent,
       round(t.total, 10), sub.id IS NOT NULL AS has_bom
FROM tree t
JOIN inventory_item i ON i.id = t.component_id
JOIN inventory_unitofmeasure u ON u.id = i.uom_id
LEFT JOIN production_bom sub ON sub.item_id = t.component_id AND sub.is_active
ORDER BY t.sort_key
"""


def bom_explosion(*, item: Item, quantity: Decimal | int = 1) -> Explosion:
    """The full tree of `quantity` units of `item` through active BOMs, in one query.

    A line's total is quantity x (1 + scrap/100) times its parent's total (scrap compounds down the levels);
    the leaves view sums the totals of components without an active BOM, over every place they appear."""
    quantity = Decimal(quantity)
    with connection.cursor() as cursor:
        cursor.execute(_EXPLOSION_SQL, {"item": item.pk, "quantity": quantity})
        rows = [ExplosionRow._make(row) for row in cursor.fetchall()]
    totals: dict[int, Decimal] = defaultdict(Decimal)
    first: dict[int, ExplosionRow] = {}
    for row in rows:
        if not row.has_bom:
            totals[row.item_id] += row.total_quantity
            first.setdefault(row.item_id, row)
    leaves = sorted(
        (
            LeafRequirement(pk, first[pk].sku, first[pk].name, first[pk].uom, total.normalize())
            for pk, total in totals.items()
        ),
        key=lambda leaf: leaf.sku,
    )
    return Explosion(item=item, quantity=quantity, rows=rows, leaves=leaves)


# --- Where used ----------------------------------------------------------------------------------------------------
class WhereUsedRow(NamedTuple):
    depth: int  # 1: a BOM that lists the item directly
    parent_item_id: int
    parent_sku: str
    parent_name: str
    child_item_id: int  # the item (depth 1) or the sub-assembly through which the parent uses it
    child_sku: str
    quantity_per: Decimal  # of the child per unit of the parent, as on that BOM line
    scrap_percent: Decimal
    per_parent_unit: Decimal  # of the searched item per unit of the parent, scrap included, through this path


_WHERE_USED_SQL = """
WITH RECURSIVE up AS (
    SELECT 1 AS depth, b.item_id AS parent_id, l.component_id AS child_id, l.quantity, l.scrap_percent,
           l.quantity * (1 + l.scrap_percent * 0.01) AS per_unit, ARRAY[l.component_id, b.item_id] AS path
    FROM production_bomline l JOIN production_bom b ON b.id = l.bom_id AND b.is_active
    WHERE l.component_id = %(item)s
    UNION ALL
    SELECT u.depth + 1, b.item_id, l.component_id, l.quantity, l.scrap_percent,
           u.per_unit * l.quantity * (1 + l.scrap_percent * 0.01), u.path || b.item_id
    FROM up u
    JOIN production_bomline l ON l.component_id = u.parent_id
    JOIN production_bom b ON b.id = l.bom_id AND b.is_active
    WHERE NOT b.item_id = ANY(u.path)
)
SELECT u.depth, u.parent_id, p.sku, p.name, u.child_id, c.sku, u.quantity, u.scrap_percent, round(u.per_unit, 10)
FROM up u JOIN inventory_item p ON p.id = u.parent_id JOIN inventory_item c ON c.id = u.child_id
ORDER BY u.path
"""


def where_used(*, item: Item) -> list[WhereUsedRow]:
    """Every item whose active BOM uses `item`, directly or through sub-assemblies at any depth, in one query."""
    with connection.cursor() as cursor:
        cursor.execute(_WHERE_USED_SQL, {"item": item.pk})
        return [
            WhereUsedRow(depth, parent, psku, pname, child, csku, per, scrap, per_unit.normalize())
            for depth, parent, psku, pname, child, csku, per, scrap, per_unit in cursor.fetchall()
        ]


# --- BOMs and work orders ------------------------------------------------------------------------------------------
def bom_list() -> QuerySet[Bom]:
    return (
        Bom.objects.select_related("item", "item__uom")
        .prefetch_related("lines__component")
        .order_by("item__sku", "version")
    )


def work_order_list() -> QuerySet[WorkOrder]:
    return WorkOrder.objects.select_related("item", "item__uom", "location", "created_by")


@dataclass(frozen=True)
class ComponentStatus:
    item_id: int
    sku: str
    name: str
    uom: str
    required: Decimal  # for the whole order, scrap included
    reserved: Decimal  # still held for this order
    consumed: Decimal
    available: Decimal  # at the order's location (the default receiving one before release), others' reservations out

    @property
    def short(self) -> bool:
        return self.required - self.consumed - self.reserved > self.available


def work_order_components(*, work_order: WorkOrder) -> list[ComponentStatus]:
    """The components of a work order with their availability: the operator screen's table (3 queries at most).

    Before release they come from the item's active BOM; afterwards from what release fixed."""
    from inventory.selectors import default_receiving_location
    from production.services import required_quantity

    location_id = work_order.location_id
    if work_order.state == WorkOrder.State.DRAFT:
        lines = BomLine.objects.filter(bom__item_id=work_order.item_id, bom__is_active=True).select_related(
            "component__uom"
        )
        parts = [
            (line.component, required_quantity(work_order.quantity, line), Decimal(0), Decimal(0)) for line in lines
        ]
        location = default_receiving_location()
        location_id = location.pk if location is not None else None
    else:
        parts = [
            (c.item, c.required_quantity, c.reserved_quantity, c.consumed_quantity)
            for c in WorkOrderComponent.objects.filter(work_order=work_order).select_related("item__uom")
        ]
    available: dict[int, Decimal] = {}
    if location_id is not None:  # no location: nothing is available (the filter would match no level either)
        available = dict(
            StockLevel.objects.filter(location_id=location_id, item_id__in=[item.pk for item, *_ in parts])
            .annotate(free=F("on_hand") - F("reserved"))
            .values_list("item_id", "free")
        )
    return sorted(
        (
            ComponentStatus(
                item.pk, item.sku, item.name, item.uom.code, req, res, con, available.get(item.pk, Decimal(0))
            )
            for item, req, res, con in parts
        ),
        key=lambda status: status.sku,
    )


# --- Built-in MRP sources: open work orders ------------------------------------------------------------------------
def _days_before(day: date, days: int) -> date:
    """`day` - `days`, clamped to the dates Python holds. Input is bounded at the door (lead times, planning dates:
    `erp.validators`), but rows saved before the bounds existed may hold any value, and one of them must not take
    the whole tenant's MRP down (it was an OverflowError, a 500): its line shows the clamped date instead."""
    try:
        return day - timedelta(days=days)
    except OverflowError:
        return date.min if days > 0 else date.max


def open_work_order_demand() -> list[DemandLine]:
    """Component demand of open work orders, due when the order must start (due date - the item's lead time).

    Drafts need their whole BOM; released orders only what their reservation does not already hold."""
    from production.services import required_quantity

    lines: list[DemandLine] = []
    drafts = list(
        WorkOrder.objects.filter(state=WorkOrder.State.DRAFT).values_list(
            "pk", "number", "item_id", "quantity", "due_date", "item__lead_time_days"
        )
    )
    bom_lines: dict[int, list[BomLine]] = defaultdict(list)
    for annotated in BomLine.objects.filter(bom__is_active=True, bom__item_id__in={d[2] for d in drafts}).annotate(
        parent_id=F("bom__item_id")
    ):
        bom_lines[annotated.parent_id].append(annotated)
    for _, number, item_id, quantity, due, lead in drafts:
        start = _days_before(due, lead)
        for line in bom_lines.get(item_id, []):
            lines.append(DemandLine(line.component_id, required_quantity(quantity, line), start, number))
    unreserved = (
        WorkOrderComponent.objects.filter(work_order__state__in=[WorkOrder.State.RELEASED, WorkOrder.State.IN_PROGRESS])
        .annotate(left=F("required_quantity") - F("consumed_quantity") - F("reserved_quantity"))
        .filter(left__gt=0)
        .values_list(
            "item_id", "left", "work_order__due_date", "work_order__item__lead_time_days", "work_order__number"
        )
    )
    for item_id, left, due, lead, number in unreserved:
        lines.append(DemandLine(item_id, left, _days_before(due, lead), number))
    return lines


def open_work_order_supply() -> list[SupplyLine]:
    """Open work orders will bring what is left to make of their item by their due date."""
    rows = (
        WorkOrder.objects.filter(state__in=WorkOrder.OPEN_STATES)
        .annotate(left=F("quantity") - F("completed_quantity"))
        .filter(left__gt=0)
        .values_list("item_id", "left", "due_date", "number")
    )
    return [SupplyLine(item_id, left, due, number) for item_id, left, due, number in rows]


# --- MRP -----------------------------------------------------------------------------------------------------------
@dataclass
class MrpLine:
    item_id: int
    sku: str
    name: str
    uom: str
    gross_requirement: Decimal  # independent demand plus what planned parents need
    available: Decimal  # on hand - reserved, all locations
    open_supply: Decimal
    shortage: Decimal
    action: str  # "make" (active BOM) or "buy"
    need_date: date  # the date at which demand first exceeds available + open supply
    suggested_date: date  # need date - lead time: order (buy) or start (make) by then
    lead_time_days: int
    late: bool  # suggested date is already past
    sources: list[str] = field(default_factory=list)  # the demand behind it (first few)


@dataclass
class _Need:
    quantity: Decimal
    due: date
    source: str


def mrp_report(*, today: date | None = None, horizon_days: int | None = None) -> list[MrpLine]:
    """Shortages per item: demand from every registered source, exploded level by level through active BOMs.

    Items are netted parents first (topological order), so a sub-assembly's demand includes what its planned
    parents need. Net = gross - available - open supply; a positive net is planned as make (active BOM) or buy,
    to be started or ordered its lead time before the need date; a planned make passes net x line quantity
    (scrap included) down to its components, due at its start. A fixed number of queries: the sources', then
    active BOM lines, items and stock levels once each. With `horizon_days`, only demand due by today + that many
    days counts (late demand, due before today, always does); supply counts whatever its date."""
    today = today or timezone.localdate()
    cutoff = _days_before(today, -horizon_days) if horizon_days is not None else None
    needs: dict[int, list[_Need]] = defaultdict(list)
    for name, source in demand_sources().items():
        for line in source():
            if line.quantity > 0 and (cutoff is None or line.due_date <= cutoff):
                needs[line.item_id].append(_Need(Decimal(line.quantity), line.due_date, line.source or name))
    supply: dict[int, Decimal] = defaultdict(Decimal)
    sources = supply_sources()
    for supply_source in sources.values():
        for supplied in supply_source():
            supply[supplied.item_id] += Decimal(supplied.quantity)

    children: dict[int, list[tuple[int, Decimal]]] = defaultdict(list)
    for parent, component, quantity, scrap in BomLine.objects.filter(bom__is_active=True).values_list(
        "bom__item_id", "component_id", "quantity", "scrap_percent"
    ):
        children[parent].append((component, quantity * (1 + scrap / 100)))

    relevant: set[int] = set()
    stack = list(needs)
    while stack:
        pk = stack.pop()
        if pk not in relevant:
            relevant.add(pk)
            stack.extend(child for child, _ in children.get(pk, ()))
    if not relevant:
        return []
    ids = sorted(relevant)
    items = {
        row[0]: row
        for row in Item.objects.filter(pk__in=ids).values_list("pk", "sku", "name", "uom__code", "lead_time_days")
    }
    available = dict(
        StockLevel.objects.filter(item_id__in=ids)
        .values("item_id")
        .annotate(free=Sum(F("on_hand") - F("reserved"), output_field=DecimalField()))
        .values_list("item_id", "free")
    )
    if PURCHASE_SUPPLY not in sources:
        for item_id, quantity in on_order_quantities(ids).items():
            supply[item_id] += Decimal(quantity)

    report: list[MrpLine] = []
    for pk in _parents_first(relevant, children):
        demand = needs.get(pk)
        if not demand or pk not in items:
            continue
        gross = sum((need.quantity for need in demand), Decimal(0))
        free = available.get(pk) or Decimal(0)
        covered = free + supply.get(pk, Decimal(0))
        shortage = (gross - covered).quantize(PLACES, rounding=ROUND_UP)
        if shortage <= 0:
            continue
        demand.sort(key=lambda need: need.due)
        running, need_date = Decimal(0), demand[-1].due
        for need in demand:
            running += need.quantity
            if running > covered:
                need_date = need.due
                break
        _, sku, name, uom, lead = items[pk]
        start = _days_before(need_date, lead)
        make = pk in children
        report.append(
            MrpLine(
                pk, sku, name, uom, gross.normalize(), free.normalize(), supply.get(pk, Decimal(0)).normalize(),
                shortage.normalize(), "make" if make else "buy", need_date, start, lead, start < today,
                sorted({need.source for need in demand})[:5],
            )
        )  # fmt: skip
        if make:
            for child, factor in children[pk]:
                needs[child].append(_Need(shortage * factor, start, f"{sku} (planned make)"))
    report.sort(key=lambda line: (line.suggested_date, line.sku))
    return report


def _parents_first(nodes: set[int], children: dict[int, list[tuple[int, Decimal]]]) -> list[int]:
    """`nodes` in topological order of the BOM graph: every parent before all of its components."""
    indegree = dict.fromkeys(nodes, 0)
    for parent in nodes:
        for child, _ in children.get(parent, ()):
            if child in indegree:
                indegree[child] += 1
    queue = deque(sorted(pk for pk, degree in indegree.items() if degree == 0))
    order: list[int] = []
    while queue:
        pk = queue.popleft()
        order.append(pk)
        for child, _ in children.get(pk, ()):
            if child in indegree:
                indegree[child] -= 1
                if indegree[child] == 0:
                    queue.append(child)
    if len(order) < len(nodes):  # a cycle in the data: net what is left anyway
        order.extend(sorted(nodes - set(order)))
    return order
