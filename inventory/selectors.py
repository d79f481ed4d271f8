"""Reads of inventory that grow beyond one ORM line."""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal

from django.db import connection
from django.db.models import DecimalField, Exists, F, OuterRef, Q, QuerySet, Sum, Value
from django.db.models.functions import Coalesce, Lower, TruncDate
from django.utils import timezone

from core import prepared
from customfields.selectors import with_custom_values
from inventory.models import Item, ItemUnitConversion, ItemValuation, Location, StockLevel, StockMove, ValuationEntry
from inventory.supply import on_order_quantities

ZERO = Value(Decimal(0), output_field=DecimalField(max_digits=18, decimal_places=4))
_VALUE = DecimalField(max_digits=36, decimal_places=8)


def item_by_sku(sku: str) -> QuerySet[Item]:
    """The item with this SKU whatever its letter case (SKUs are unique ignoring case): at most one row, found through
    the unique index on lower(sku)."""
    return Item.objects.alias(sku_ci=Lower("sku")).filter(sku_ci=Lower(Value(sku.strip())))


@dataclass(frozen=True)
class ItemStock:
    item: Item
    on_hand: Decimal
    available: Decimal

    @property
    def sentence(self) -> str:
        unit, on_hand, available = self.item.uom.code, self.on_hand.normalize(), self.available.normalize()
        return f"{self.item.sku}: {self.item.name}. {on_hand:f} {unit} on hand, {available:f} available."


def item_stock(sku: str) -> ItemStock | None:
    """The item a scan names (by `item_by_sku`) with its stock across locations, in one query; None when unknown."""
    item = (
        item_by_sku(sku)
        .select_related("uom")
        .annotate(
            total_on_hand=Coalesce(Sum("levels__on_hand"), ZERO),
            total_available=Coalesce(Sum(F("levels__on_hand") - F("levels__reserved")), ZERO),
        )
        .first()
    )
    if item is None:
        return None
    return ItemStock(item=item, on_hand=item.total_on_hand, available=item.total_available)


def item_picks(*, query: str, limit: int) -> list[Item]:
    """What the item picker offers for `query`: active items whose SKU starts with it (any letter case) first, then
    those whose name contains it; at most `limit`."""
    items = Item.objects.filter(is_active=True).only("sku", "name")
    by_sku = list(items.filter(sku__istartswith=query).order_by("sku")[:limit])
    if len(by_sku) < limit:
        seen = [item.pk for item in by_sku]
        by_sku += items.filter(name__icontains=query).exclude(pk__in=seen).order_by("sku")[: limit - len(by_sku)]
    return by_sku


def items_with_custom_values(items: QuerySet[Item], params: Mapping[str, str]) -> QuerySet[Item]:
    """`items` narrowed by `?cf_<key>=value` parameters (other parameters are ignored): one JSONB containment
    (`attributes @> {"key": value, ...}`), which the GIN jsonb_path_ops index on attributes serves. The value is
    compared as stored (a number as its decimal string, "12.5"; yes/no as a bool). An undefined key or a value its type
    refuses is a DomainError on `cf_<key>`."""
    return with_custom_values(items, entity="item", column="attributes", params=params)


def item_search(
    *,
    query: str = "",
    kind: str = "",
    active_only: bool = False,
    active: bool | None = None,
    location: Location | None = None,
    in_stock: bool = False,
) -> QuerySet[Item]:
    """Items whose SKU or name contains `query`, with their total on hand and available across locations (at
    `location` only, when given: then only items with stock on hand or reserved there). `in_stock`: on hand > 0."""
    items = Item.objects.select_related("uom")
    if query:
        items = items.filter(Q(sku__icontains=query) | Q(name__icontains=query))
    if kind:
        items = items.filter(kind=kind)
    if active_only:
        active = True
    if active is not None:
        items = items.filter(is_active=active)
    at = Q(levels__location=location) if location is not None else Q()
    if location is not None:
        held = StockLevel.objects.filter(item=OuterRef("pk"), location=location).exclude(on_hand=0, reserved=0)
        items = items.filter(Exists(held))
    items = items.annotate(
        total_on_hand=Coalesce(Sum("levels__on_hand", filter=at), ZERO),
        total_available=Coalesce(Sum(F("levels__on_hand") - F("levels__reserved"), filter=at), ZERO),
    )
    if in_stock:
        items = items.filter(total_on_hand__gt=0)
    return items.order_by("sku")


def item_levels(*, item: Item | int) -> QuerySet[StockLevel]:
    """The item's stock by location, locations with nothing on hand and nothing reserved left out."""
    return (
        StockLevel.objects.filter(item=item)
        .exclude(on_hand=0, reserved=0)
        .select_related("location")
        .order_by("location__code")
    )


def item_moves(*, item: Item | int) -> QuerySet[StockMove]:
    """The item's ledger, newest first."""
    return (
        StockMove.objects.filter(item=item)
        .select_related("from_location", "to_location", "created_by")
        .annotate(is_reversed=Exists(StockMove.objects.filter(reverses=OuterRef("pk"))))
    )


@dataclass
class ItemPage:
    """What the item page shows of an item, each read a prepared statement (core.prepared): the page's reads cost
    the process more to compile than the database spends answering them."""

    item: Item
    levels: list[StockLevel]
    conversions: list[ItemUnitConversion]
    moves: prepared.Pages[StockMove]  # the ledger, newest first, for a Paginator


def item_page(pk: int) -> ItemPage | None:
    """The item `pk` (with its unit and valuation), its levels, its unit conversions and its ledger; None if no such
    item."""
    found = prepared.objects("inventory.item_page", _item_with_unit, pk)
    if not found:
        return None
    return ItemPage(
        item=found[0],
        levels=prepared.objects("inventory.item_page.levels", lambda item: item_levels(item=item), pk),
        conversions=prepared.objects("inventory.item_page.conversions", _conversions, pk),
        moves=prepared.Pages("inventory.item_page.moves", lambda item: item_moves(item=item), pk),
    )


def _item_with_unit(pk: int) -> QuerySet[Item]:
    return Item.objects.select_related("uom", "valuation").filter(pk=pk)


def _conversions(item: int) -> QuerySet[ItemUnitConversion]:
    return ItemUnitConversion.objects.filter(item=item).select_related("uom").order_by("uom__code")


def move_list() -> QuerySet[StockMove]:
    return StockMove.objects.select_related("item", "from_location", "to_location", "created_by", "source_type")


def ledger_balance(*, item: Item, location: Location | None = None) -> Decimal:
    """On hand recomputed from the ledger alone (receipts in minus issues out); equals StockLevel.on_hand."""
    moves = StockMove.objects.filter(item=item)
    if location is None:
        into = moves.filter(to_location__isnull=False, from_location__isnull=True)
        out = moves.filter(from_location__isnull=False, to_location__isnull=True)
    else:
        into = moves.filter(to_location=location)
        out = moves.filter(from_location=location)
    total_in = into.aggregate(total=Coalesce(Sum("quantity"), ZERO))["total"]
    total_out = out.aggregate(total=Coalesce(Sum("quantity"), ZERO))["total"]
    return total_in - total_out


@dataclass(frozen=True)
class ReorderLine:
    item: Item
    available: Decimal
    on_order: Decimal
    reorder_point: Decimal
    suggested_quantity: Decimal


def reorder_report() -> list[ReorderLine]:
    """Active items whose available stock plus the quantity on order is below their reorder point.

    The suggestion orders at least the item's reorder quantity, and enough to get back to the reorder point.
    """
    candidates = {item.pk: item for item in _candidates().select_related("uom")}
    rows = [(pk, item.available, item.reorder_point, item.reorder_quantity) for pk, item in candidates.items()]
    return [ReorderLine(candidates[pk], *figures) for pk, *figures in _short(rows)]


def reorder_summary(*, limit: int) -> tuple[list[ReorderLine], int]:
    """The first `limit` lines of `reorder_report()` (by SKU) and how many lines it has, without loading every item
    short of its reorder point: the candidates are read as plain values, and only the shown items as rows."""
    short = _short(prepared.rows("inventory.reorder_candidates", _reorder_candidates))
    shown = short[:limit]
    items = Item.objects.select_related("uom").in_bulk([pk for pk, *_ in shown]) if shown else {}
    return [ReorderLine(items[pk], *figures) for pk, *figures in shown], len(short)


def _short(
    candidates: list[tuple[int, Decimal, Decimal, Decimal]],
) -> list[tuple[int, Decimal, Decimal, Decimal, Decimal]]:
    """(item id, available, on order, reorder point, suggested quantity) of the candidates (item id, available,
    reorder point, reorder quantity) still short once what is on order is counted, in the candidates' order."""
    on_order = on_order_quantities([pk for pk, *_ in candidates])
    short = []
    for pk, available, reorder_point, reorder_quantity in candidates:
        ordered = on_order.get(pk, Decimal(0))
        shortfall = reorder_point - (available + ordered)
        if shortfall > 0:
            short.append((pk, available, ordered, reorder_point, max(reorder_quantity, shortfall)))
    return short


def _candidates() -> QuerySet:
    """Active items whose available stock (annotated) is below their reorder point, by SKU."""
    return (
        Item.objects.filter(is_active=True, reorder_point__gt=0)
        .annotate(available=Coalesce(Sum(F("levels__on_hand") - F("levels__reserved")), ZERO))
        .filter(available__lt=F("reorder_point"))
        .order_by("sku")
    )


def _reorder_candidates() -> QuerySet:
    return _candidates().values_list("pk", "available", "reorder_point", "reorder_quantity")


def below_reorder_item_ids() -> list[int]:
    return [line.item.pk for line in reorder_report()]


def location_tree() -> list[tuple[Location, int]]:
    """Every location with its depth, each parent followed by its children (sorted by code)."""
    locations = list(
        Location.objects.annotate(
            total_on_hand=Coalesce(Sum("levels__on_hand"), ZERO),
        ).order_by("code")
    )
    children: dict[int | None, list[Location]] = {}
    for location in locations:
        children.setdefault(location.parent_id, []).append(location)
    ordered: list[tuple[Location, int]] = []

    def walk(parent_id: int | None, depth: int) -> None:
        for location in children.get(parent_id, []):
            ordered.append((location, depth))
            walk(location.pk, depth + 1)

    walk(None, 0)
    return ordered


def default_receiving_location() -> Location | None:
    return Location.objects.filter(is_default_receiving=True, is_active=True).first()


def stock_value_history(*, days: int = 30, today: datetime.date | None = None) -> list[tuple[datetime.date, Decimal]]:
    """Value of the stock on hand (at moving-average cost, from the value ledger) at the end of each of the last
    `days` days, oldest first, in two queries: today's value, then walked back through each day's net value change
    (receipts, output, issues, shipments; transfers between locations change nothing)."""
    today = today or timezone.localdate()
    first = today - datetime.timedelta(days=days - 1)
    ((now,),) = prepared.rows("inventory.stock_value", _stock_value)
    since = timezone.make_aware(datetime.datetime.combine(first + datetime.timedelta(days=1), datetime.time.min))
    # The SQL names the time zone (days are cut at its midnight) and `since`: both are in the key.
    key = ("inventory.stock_value_flows", since, timezone.get_current_timezone_name())
    flows = dict(prepared.rows(key, lambda: _value_flows(since)))
    series = []
    value = now
    for offset in range(days):
        day = today - datetime.timedelta(days=offset)
        series.append((day, value))
        value -= flows.get(day, Decimal(0))
    return series[::-1]


def _stock_value() -> QuerySet:
    # Grouped by a constant, which PostgreSQL is not asked to group by: one row, the whole table's sum.
    return (
        ItemValuation.objects.annotate(whole=Value(1))
        .values("whole")
        .annotate(total=Coalesce(Sum("value"), ZERO))
        .order_by()
        .values_list("total")
    )


def _value_flows(since: datetime.datetime) -> QuerySet:
    """(day, net value change) of each day from `since` with a change."""
    return (
        ValuationEntry.objects.filter(created_at__gte=since)
        .annotate(day=TruncDate("created_at"))
        .values("day")
        .annotate(net=Sum("value"))
        .order_by()
        .values_list("day", "net")
    )


@dataclass(frozen=True)
class ValuationLine:
    item_id: int
    sku: str
    name: str
    uom: str
    quantity: Decimal
    value: Decimal

    @property
    def unit_cost(self) -> Decimal:
        """The average cost of what was on hand then."""
        if not self.quantity:
            return Decimal(0)
        return (self.value / self.quantity).quantize(Decimal("0.0001"))


@dataclass(frozen=True)
class Valuation:
    at: datetime.datetime | None  # None: now
    lines: list[ValuationLine]  # by SKU, items that held stock or value then

    @property
    def total(self) -> Decimal:
        return sum((line.value for line in self.lines), Decimal(0))


def stock_valuation(*, at: datetime.datetime | None = None) -> Valuation:
    """The stock of each item and its value at moving-average cost at the moment `at` (now when None), in one
    query over the value ledger: the sum of every entry up to then."""
    entries = ValuationEntry.objects.all()
    if at is not None:
        entries = entries.filter(created_at__lte=at)
    rows = (
        entries.values("item_id", "item__sku", "item__name", "item__uom__code")
        .annotate(quantity=Sum("quantity"), value=Sum("value"))
        .filter(~Q(quantity=0) | ~Q(value=0))
        .order_by("item__sku")
        .values_list("item_id", "item__sku", "item__name", "item__uom__code", "quantity", "value")
    )
    return Valuation(at=at, lines=[ValuationLine(*row) for row in rows])


def end_of_day(day: datetime.date) -> datetime.datetime:
    """The last moment of `day` in the current time zone: a valuation "at a date" includes that whole day."""
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.max))


@dataclass(frozen=True)
class ReservationMismatch:
    """A level whose reserved quantity is not the sum of its reservation entries (the history does not add up)."""

    item_id: int
    location_id: int
    reserved: Decimal
    entries: Decimal


_RESERVATION_MISMATCHES = """
    SELECT COALESCE(l.item_id, e.item_id), COALESCE(l.location_id, e.location_id),
           COALESCE(l.reserved, 0), COALESCE(e.total, 0)
    FROM inventory_stocklevel l
    FULL JOIN (SELECT item_id, location_id, SUM(quantity) AS total FROM inventory_reservationentry
               GROUP BY item_id, location_id) e ON e.item_id = l.item_id AND e.location_id = l.location_id
    WHERE COALESCE(l.reserved, 0) <> COALESCE(e.total, 0)
    ORDER BY 1, 2
"""


def reservation_mismatches() -> list[ReservationMismatch]:
    """Every (item, location) of this tenant where Σ reservation entries != reserved; empty when the reservation
    history adds up (every reserve, release and consumption from a reservation wrote its entry). One query."""
    with connection.cursor() as cursor:
        cursor.execute(_RESERVATION_MISMATCHES)
        return [ReservationMismatch(*row) for row in cursor.fetchall()]
