"""Reads of production: BOM explosion and where-used (one recursive CTE each), BOM lists and work order views.

The CTEs name no schema: the connection's search path is already the tenant's. Trees only follow active BOMs, and
every walk carries its path so that a cycle in the data (the services refuse them) could not make it loop.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal
from typing import NamedTuple

from django.db import connection
from django.db.models import F, QuerySet

from inventory.models import Item, StockLevel
from production.models import Bom, BomLine, CostRollup, CostRollupLine, WorkOrder, WorkOrderComponent

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

    location_id = work_order.location_id
    if work_order.state == WorkOrder.State.DRAFT:
        lines = BomLine.objects.filter(bom__item_id=work_order.item_id, bom__is_active=True).select_related(
            "component__uom"
        )
        parts = [(line.component, line.required_for(work_order.quantity), Decimal(0), Decimal(0)) for line in lines]
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


# --- Cost roll-up --------------------------------------------------------------------------------------------------
class RollupInput(NamedTuple):
    item_id: int  # the BOM's item
    sku: str
    old_cost: Decimal  # its standard cost now
    labour_cost: Decimal
    overhead_cost: Decimal
    cost_basis: str
    batch_size: Decimal
    component_id: int
    quantity: Decimal
    scrap_percent: Decimal
    component_cost: Decimal  # the component's standard cost now (used when it has no active BOM of its own)


_ROLLUP_SQL = """
WITH RECURSIVE tree(bom_id, item_id) AS (
    SELECT b.id, b.item_id FROM production_bom b
    WHERE b.is_active AND (%(item)s::bigint IS NULL OR b.item_id = %(item)s::bigint)
    UNION
    SELECT sub.id, sub.item_id
    FROM tree t
    JOIN production_bomline l ON l.bom_id = t.bom_id
    JOIN production_bom sub ON sub.item_id = l.component_id AND sub.is_active
)
SELECT b.item_id, i.sku, i.standard_cost, b.labour_cost, b.overhead_cost, b.cost_basis, b.batch_size,
       l.component_id, l.quantity, l.scrap_percent, c.standard_cost
FROM tree t
JOIN production_bom b ON b.id = t.bom_id
JOIN inventory_item i ON i.id = b.item_id
JOIN production_bomline l ON l.bom_id = b.id
JOIN inventory_item c ON c.id = l.component_id
ORDER BY b.item_id, l.position, l.id
"""


def rollup_inputs(*, item: Item | None = None) -> list[RollupInput]:
    """Every line of the active BOMs under `item` at any depth (of every active BOM when None), with the costs
    the roll-up starts from, in one query. The recursion keeps distinct BOMs (UNION), so it ends on any data."""
    with connection.cursor() as cursor:
        cursor.execute(_ROLLUP_SQL, {"item": item.pk if item is not None else None})
        return [RollupInput._make(row) for row in cursor.fetchall()]


def cost_rollup_list() -> QuerySet[CostRollup]:
    return CostRollup.objects.select_related("item", "created_by")


def cost_rollup_lines(*, rollup: CostRollup) -> QuerySet[CostRollupLine]:
    """The lines of a run, by level then SKU (the bottom of the trees first)."""
    return rollup.lines.select_related("item").order_by("level", "item__sku")
