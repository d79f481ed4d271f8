"""Open work orders as dated demand (their components) and supply (their finished item) of planning, pegged to the
work order."""

from __future__ import annotations

from collections import defaultdict

from django.db.models import F

from planning.engine import days_before
from planning.sources import DemandLine, Peg, SupplyLine
from production.models import BomLine, WorkOrder, WorkOrderComponent

WORK_ORDER = "production.workorder"


def open_work_order_demand() -> list[DemandLine]:
    """Component demand of open work orders, due when the order must start (due date - the item's lead time).

    Drafts need their whole BOM; released orders only what their reservation does not already hold."""
    lines: list[DemandLine] = []
    drafts = list(
        WorkOrder.objects.filter(state=WorkOrder.State.DRAFT).values_list(
            "pk", "number", "item_id", "quantity", "due_date", "item__lead_time_days"
        )
    )
    bom_lines: dict[int, list[BomLine]] = defaultdict(list)
    draft_lines = BomLine.objects.filter(bom__is_active=True, bom__item_id__in={d[2] for d in drafts})
    for annotated in draft_lines.select_related("component__uom").annotate(parent_id=F("bom__item_id")):
        bom_lines[annotated.parent_id].append(annotated)
    for pk, number, item_id, quantity, due, lead in drafts:
        start, peg = days_before(due, lead), Peg(WORK_ORDER, pk, number)
        for line in bom_lines.get(item_id, []):
            lines.append(DemandLine(line.component_id, line.required_for(quantity), start, peg))
    unreserved = (
        WorkOrderComponent.objects.filter(work_order__state__in=[WorkOrder.State.RELEASED, WorkOrder.State.IN_PROGRESS])
        .annotate(left=F("required_quantity") - F("consumed_quantity") - F("reserved_quantity"))
        .filter(left__gt=0)
        .values_list(
            "item_id",
            "left",
            "work_order__due_date",
            "work_order__item__lead_time_days",
            "work_order_id",
            "work_order__number",
        )
    )
    for item_id, left, due, lead, work_order_id, number in unreserved:
        lines.append(DemandLine(item_id, left, days_before(due, lead), Peg(WORK_ORDER, work_order_id, number)))
    return lines


def open_work_order_supply() -> list[SupplyLine]:
    """Open work orders will bring what is left to make of their item by their due date."""
    rows = (
        WorkOrder.objects.filter(state__in=WorkOrder.OPEN_STATES)
        .annotate(left=F("quantity") - F("completed_quantity"))
        .filter(left__gt=0)
        .values_list("item_id", "left", "due_date", "pk", "number")
    )
    return [SupplyLine(item_id, left, due, Peg(WORK_ORDER, pk, number)) for item_id, left, due, pk, number in rows]
