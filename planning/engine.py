"""The material requirements engine: shortages per item from the dated demand and supply of `planning.sources`,
exploded level by level through active BOMs and netted against free stock."""

from __future__ import annotations

from collections import defaultdict, deque
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import ROUND_UP, Decimal

from django.db.models import DecimalField, F, Sum
from django.utils import timezone

from inventory.models import Item, StockLevel
from planning import sources
from production.models import BomLine

PLACES = Decimal("0.0001")


def days_before(day: date, days: int) -> date:
    """`day` - `days`, clamped to the dates Python holds. Input is bounded at the door (lead times, planning dates:
    `core.validators`), but rows saved before the bounds existed may hold any value, and one of them must not take
    the whole tenant's MRP down (it was an OverflowError, a 500): its line shows the clamped date instead."""
    try:
        return day - timedelta(days=days)
    except OverflowError:
        return date.min if days > 0 else date.max


# --- MRP report------------------------------------------------------------------------------------------------------
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
    cutoff = days_before(today, -horizon_days) if horizon_days is not None else None
    needs: dict[int, list[_Need]] = defaultdict(list)
    for line in sources.demand():
        if line.quantity > 0 and (cutoff is None or line.date <= cutoff):
            needs[line.item_id].append(_Need(Decimal(line.quantity), line.date, line.peg.label))
    supply: dict[int, Decimal] = defaultdict(Decimal)
    for supplied in sources.supply():
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
        start = days_before(need_date, lead)
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
