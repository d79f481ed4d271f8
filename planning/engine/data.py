"""What a plan is computed from: the items with their planning fields, BOM lines, stock and the dated supply and
demand that `planning.sources` gathers, read with a constant number of queries (`load`)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, replace
from datetime import date, timedelta
from decimal import Decimal

from django.db.models import DecimalField, F, Sum

from inventory.models import Item, StockLevel
from planning import sources
from production.models import BomLine

PLACES = Decimal("0.0001")
Day = date  # for fields after one named `date`
ZERO = Decimal(0)
SAFETY_STOCK = "safety stock"
MADE = "production.workorder"


def days_before(day: date, days: int) -> date:
    """`day` - `days`, clamped to the dates Python holds. Input is bounded at the door (lead times, planning dates:
    `core.validators`), but rows saved before the bounds existed may hold any value, and one of them must not take
    the whole tenant's MRP down (it was an OverflowError, a 500): its line shows the clamped date instead."""
    try:
        return day - timedelta(days=days)
    except OverflowError:
        return date.min if days > 0 else date.max


# --- Input ----------------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class ItemData:
    pk: int
    sku: str
    name: str
    uom: str
    procurement: str  # "make" or "buy"
    lead_time_days: int
    lot_sizing: str  # Item.LotSizing
    lot_quantity: Decimal
    lot_minimum: Decimal
    lot_multiple: Decimal
    lot_period_days: int
    safety_stock: Decimal
    low_level_code: int
    # The least quantity one order may be (a bought item's preferred supplier's minimum), whatever the lot rule.
    order_minimum: Decimal = Decimal(0)


@dataclass(slots=True)
class PlanningData:
    """Everything a plan reads, loaded once."""

    items: dict[int, ItemData]
    children: dict[int, list[tuple[int, Decimal]]]  # item -> (component, quantity per unit, scrap included)
    on_hand: dict[int, Decimal]  # free stock (on hand - reserved), all locations
    demand: list[sources.DemandLine]
    supply: list[sources.SupplyLine]


_ITEM_FIELDS = (
    "pk", "sku", "name", "uom__code", "procurement", "lead_time_days", "lot_sizing", "lot_quantity", "lot_minimum",
    "lot_multiple", "lot_period_days", "safety_stock", "low_level_code",
)  # fmt: skip


def load() -> PlanningData:
    """Demand and supply from every registered source, then items, active BOM lines and free stock, one query each.
    A bought item with purchase terms (its preferred supplier's) is planned with their lead time and least order."""
    demand, supply, terms = sources.demand(), sources.supply(), sources.purchase_terms()
    items = {row[0]: ItemData(*row) for row in Item.objects.values_list(*_ITEM_FIELDS).order_by()}
    for pk, bought in terms.items():
        item = items.get(pk)
        if item is not None and item.procurement == Item.Procurement.BUY:
            items[pk] = replace(item, lead_time_days=bought.lead_time_days, order_minimum=bought.minimum_quantity)
    children: dict[int, list[tuple[int, Decimal]]] = defaultdict(list)
    for parent, component, quantity, scrap in (
        BomLine.objects.filter(bom__is_active=True)
        .order_by("bom__item_id", "position")
        .values_list("bom__item_id", "component_id", "quantity", "scrap_percent")
    ):
        children[parent].append((component, quantity * (1 + scrap / 100)))
    on_hand = dict(
        StockLevel.objects.values("item_id")
        .annotate(free=Sum(F("on_hand") - F("reserved"), output_field=DecimalField()))
        .order_by()
        .values_list("item_id", "free")
    )
    return PlanningData(items, dict(children), on_hand, demand, supply)
