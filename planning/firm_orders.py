"""Firm planned orders as planning's supply (their item, on their due date) and, for a firm make order, demand
(its BOM's components, when it must start), pegged to the planned order: every later run keeps them as they are."""

from __future__ import annotations

from collections import defaultdict

from planning.models import PlannedOrder
from planning.sources import DemandLine, Peg, SupplyLine
from production.models import BomLine

PLANNED_ORDER = "planning.plannedorder"


def _firm() -> list[PlannedOrder]:
    return list(PlannedOrder.objects.filter(status=PlannedOrder.Status.FIRM).order_by("pk"))


def firm_planned_supply() -> list[SupplyLine]:
    """Each firm planned order brings its quantity of its item by its due date."""
    return [
        SupplyLine(order.item_id, order.quantity, order.due_date, Peg(PLANNED_ORDER, order.pk, order.label))
        for order in _firm()
    ]


def firm_planned_demand() -> list[DemandLine]:
    """A firm make order needs its item's active BOM by its release date (as a draft work order would)."""
    makes = [order for order in _firm() if order.kind == PlannedOrder.Kind.MAKE]
    if not makes:
        return []
    bom_lines: dict[int, list[BomLine]] = defaultdict(list)
    rows = BomLine.objects.filter(bom__is_active=True, bom__item_id__in={order.item_id for order in makes})
    for line in rows.select_related("bom", "component__uom").order_by("bom__item_id", "position"):
        bom_lines[line.bom.item_id].append(line)
    return [
        DemandLine(line.component_id, line.required_for(order.quantity), order.release_date,
                   Peg(PLANNED_ORDER, order.pk, order.label))
        for order in makes
        for line in bom_lines.get(order.item_id, [])
    ]  # fmt: skip
