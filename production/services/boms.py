"""BOMs with their lines: created, changed and deleted under one advisory lock per tenant, never into a cycle."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.db import IntegrityError, connection, transaction

from audit.services import changes_since, snapshot
from core.limits import capped_lines
from core.numbers import parse_money
from inventory.models import Item
from inventory.services import InvalidQuantity, check_item_quantity, hold_items, parse_quantity
from production.models import Bom, BomLine, ProductionEvent, WorkOrder
from production.services._shared import _BOM_AUDITED, User, _acting, _audit, _created, _deleted
from production.services.errors import BomCycle, InvalidBom


@dataclass(frozen=True)
class _Line:
    component: Item
    quantity: Decimal
    scrap_percent: Decimal
    note: str


def _lock_bom_graph() -> None:
    """Serialise BOM writes of this tenant, so two edits cannot each pass the cycle check and make a cycle together."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(hashtext('production.bom'), hashtext(current_schema()))")


def _parse_scrap(value: object, where: str) -> Decimal:
    if value is None or value == "":
        return Decimal(0)
    if isinstance(value, float | bool):
        raise InvalidBom(f"{where}: scrap percentage must be a decimal number, not {value!r}", field="lines")
    try:
        scrap = value if isinstance(value, Decimal) else Decimal(str(value).strip())
    except InvalidOperation:
        raise InvalidBom(f"{where}: scrap percentage {value!r} is not a number", field="lines") from None
    if not scrap.is_finite() or scrap < 0 or scrap > 100:
        raise InvalidBom(f"{where}: scrap percentage must be between 0 and 100, got {value}", field="lines")
    if scrap != scrap.quantize(Decimal("0.01")):
        raise InvalidBom(f"{where}: scrap percentage {scrap} has more than 2 decimal places", field="lines")
    return scrap


def _clean_lines(item: Item, lines: Iterable[Mapping[str, object]]) -> list[_Line]:
    """Check each line on its own and against the BOM's item; components are re-read so their state is current."""
    raw = capped_lines(lines)
    if not raw:
        raise InvalidBom("a BOM needs at least one line", field="lines")
    ids = [getattr(line.get("component"), "pk", None) for line in raw]
    fresh: dict[int | None, Item] = {
        component.pk: component
        for component in Item.objects.select_related("uom").filter(pk__in=[i for i in ids if i is not None])
    }
    cleaned: list[_Line] = []
    seen: dict[int, int] = {}
    for number, (line, component_id) in enumerate(zip(raw, ids, strict=True), start=1):
        where = f"line {number}"
        component = fresh.get(component_id)
        if component is None:
            raise InvalidBom(f"{where}: choose an existing component item", field="lines")
        if component.pk == item.pk:
            raise InvalidBom(
                f"{where}: {component.sku} is the BOM's own item; an item cannot contain itself", field="lines"
            )
        if not component.is_active:
            raise InvalidBom(
                f"{where}: component {component.sku} is inactive; activate it or choose another", field="lines"
            )
        if component.pk in seen:
            raise InvalidBom(
                f"{where}: {component.sku} is already on line {seen[component.pk]}; put the total on one line",
                field="lines",
            )
        seen[component.pk] = number
        try:
            quantity = check_item_quantity(component, parse_quantity(line.get("quantity"), field="quantity"))
        except InvalidQuantity as exc:
            raise InvalidBom(f"{where} ({component.sku}): {exc.message}", field="lines") from None
        scrap = _parse_scrap(line.get("scrap_percent"), f"{where} ({component.sku})")
        note = str(line.get("note") or "").strip()
        if len(note) > 200:
            raise InvalidBom(f"{where}: the note is longer than 200 characters", field="lines")
        cleaned.append(_Line(component, quantity, scrap, note))
    return cleaned


_CYCLE_SQL = """
WITH RECURSIVE walk(item_id, path) AS (
    SELECT c, ARRAY[c] FROM unnest(%(components)s::bigint[]) AS c
    UNION ALL
    SELECT l.component_id, w.path || l.component_id
    FROM walk w
    JOIN production_bom b ON b.item_id = w.item_id AND b.is_active AND b.item_id <> %(item)s
    JOIN production_bomline l ON l.bom_id = b.id
    WHERE NOT l.component_id = ANY(w.path)
)
SELECT path FROM walk WHERE item_id = %(item)s ORDER BY array_length(path, 1) LIMIT 1
"""


def _check_no_cycle(item: Item, lines: list[_Line]) -> None:
    """Refuse lines under which `item` appears again at any depth (through the other items' active BOMs)."""
    with connection.cursor() as cursor:
        cursor.execute(_CYCLE_SQL, {"components": [line.component.pk for line in lines], "item": item.pk})
        row = cursor.fetchone()
    if row is None:
        return
    path = [item.pk, *row[0]]
    skus = dict(Item.objects.filter(pk__in=path).values_list("pk", "sku"))
    raise BomCycle(f"cycle: {' -> '.join(skus[pk] for pk in path)}; {item.sku} would contain itself", field="lines")


# Low-level codes: the deepest level at which an item appears under any active BOM (0: it is in none). A change to
# one item's BOMs can move its components, and everything below them, so those are recomputed: the walk down from
# the seeds finds them, the walk up from each finds its longest path to a top item. One statement, same transaction.
_LOW_LEVEL_CODES_SQL = """
WITH RECURSIVE below(item_id) AS (
    SELECT unnest(%(seeds)s::bigint[])
    UNION
    SELECT l.component_id
    FROM below w
    JOIN production_bom b ON b.item_id = w.item_id AND b.is_active
    JOIN production_bomline l ON l.bom_id = b.id
), above(item_id, ancestor, depth) AS (
    SELECT item_id, item_id, 0 FROM below
    UNION
    SELECT a.item_id, b.item_id, a.depth + 1
    FROM above a
    JOIN production_bomline l ON l.component_id = a.ancestor
    JOIN production_bom b ON b.id = l.bom_id AND b.is_active
    WHERE a.depth < 1000
)
UPDATE inventory_item i SET low_level_code = code.depth
FROM (SELECT item_id, max(depth) AS depth FROM above GROUP BY item_id) AS code
WHERE i.id = code.item_id AND i.low_level_code IS DISTINCT FROM code.depth
"""


def refresh_low_level_codes(seeds: Iterable[int]) -> None:
    """Recompute the low-level codes of `seeds` and of everything under them (planning nets each item once, at its
    lowest level). Called by the BOM services inside their transaction, after the change."""
    ids = sorted(set(seeds))
    if ids:
        with connection.cursor() as cursor:
            cursor.execute(_LOW_LEVEL_CODES_SQL, {"seeds": ids})


def _bom_family(item_id: int) -> list[int]:
    """The item and every component of any of its BOMs (whose level a change to them can move)."""
    return [item_id, *BomLine.objects.filter(bom__item_id=item_id).values_list("component_id", flat=True)]


def _save_bom(*, bom: Bom, lines: list[_Line] | None, user: User) -> Bom:
    seeds = _bom_family(bom.item_id) + [line.component.pk for line in lines or ()]
    _write_bom(bom=bom, lines=lines)
    refresh_low_level_codes(seeds)
    return bom


def _write_bom(*, bom: Bom, lines: list[_Line] | None) -> Bom:
    if bom.is_active:
        current = lines
        if current is None:
            current = [
                _Line(line.component, line.quantity, line.scrap_percent, line.note)
                for line in bom.lines.select_related("component")
            ]
        _check_no_cycle(bom.item, current)
        Bom.objects.filter(item_id=bom.item_id, is_active=True).exclude(pk=bom.pk).update(is_active=False)
    try:
        with transaction.atomic():
            bom.save()
    except IntegrityError:
        raise InvalidBom(f"item {bom.item.sku} already has a BOM version {bom.version!r}", field="version") from None
    if lines is not None:
        # The components' stock units must stay the ones the quantities were checked against until commit.
        hold_items((line.component for line in lines), field="lines", error=InvalidBom)
        bom.lines.all().delete()
        BomLine.objects.bulk_create(
            BomLine(
                bom=bom,
                position=position,
                component=line.component,
                quantity=line.quantity,
                scrap_percent=line.scrap_percent,
                note=line.note,
            )
            for position, line in enumerate(lines, start=1)
        )
    return bom


def _clean_costs(costs: Mapping[str, object]) -> dict[str, object]:
    """The BOM's conversion costs among `costs` (those given): amounts zero or more, a known basis, a batch size
    greater than zero."""
    cleaned: dict[str, object] = {}
    for name in ("labour_cost", "overhead_cost"):
        if costs.get(name) is not None:
            cleaned[name] = parse_money(costs[name], field=name, error=InvalidBom)
    basis = costs.get("cost_basis")
    if basis is not None:
        if basis not in Bom.CostBasis.values:
            raise InvalidBom(f"cost basis must be one of {', '.join(Bom.CostBasis.values)}", field="cost_basis")
        cleaned["cost_basis"] = basis
    if costs.get("batch_size") is not None:
        cleaned["batch_size"] = parse_quantity(costs["batch_size"], field="batch_size", error=InvalidBom)
    return cleaned


def _clean_version(version: object) -> str:
    text = str(version or "").strip()
    if not text:
        raise InvalidBom("a version label is required, e.g. 1", field="version")
    if len(text) > 32:
        raise InvalidBom("the version label is longer than 32 characters", field="version")
    return text


def bom_create(
    *,
    item: Item,
    lines: Iterable[Mapping[str, object]],
    user: User,
    version: str = "1",
    is_active: bool = True,
    note: str = "",
    labour_cost: Decimal | int | str | None = None,
    overhead_cost: Decimal | int | str | None = None,
    cost_basis: str | None = None,
    batch_size: Decimal | int | str | None = None,
) -> Bom:
    """A BOM for `item`. Activating it deactivates the item's previous active BOM; a cycle, a line for the item
    itself, a quantity <= 0, a scrap outside 0-100 or an inactive item or component is refused. Labour and overhead
    are amounts per unit, or per batch of `batch_size` (`cost_basis`); a negative amount is refused."""
    costs = _clean_costs(
        {"labour_cost": labour_cost, "overhead_cost": overhead_cost, "cost_basis": cost_basis, "batch_size": batch_size}
    )
    item = Item.objects.filter(pk=item.pk).first() or item
    if item.pk is None or not item.is_active:
        raise InvalidBom(f"item {item.sku} is inactive; activate it before giving it a BOM", field="item")
    with transaction.atomic():
        _lock_bom_graph()
        cleaned = _clean_lines(item, lines)
        bom = Bom(item=item, version=_clean_version(version), is_active=is_active, note=note.strip()[:200], **costs)
        bom.created_by = _acting(user)
        _save_bom(bom=bom, lines=cleaned, user=user)
        _audit(
            ProductionEvent.Action.BOM_CREATED,
            user,
            bom=bom,
            changes={**_created(bom, _BOM_AUDITED), "lines": [None, len(cleaned)]},
            item=item.sku,
            version=bom.version,
        )
    return bom


def bom_update(
    *,
    bom: Bom,
    user: User,
    lines: Iterable[Mapping[str, object]] | None = None,
    version: str | None = None,
    is_active: bool | None = None,
    note: str | None = None,
    labour_cost: Decimal | int | str | None = None,
    overhead_cost: Decimal | int | str | None = None,
    cost_basis: str | None = None,
    batch_size: Decimal | int | str | None = None,
) -> Bom:
    """Change a BOM; `lines`, when given, replace all its lines. The same checks as `bom_create` apply."""
    costs = _clean_costs(
        {"labour_cost": labour_cost, "overhead_cost": overhead_cost, "cost_basis": cost_basis, "batch_size": batch_size}
    )
    with transaction.atomic():
        _lock_bom_graph()
        fresh = Bom.objects.select_for_update().select_related("item").get(pk=bom.pk)
        before = snapshot(fresh, _BOM_AUDITED)
        if is_active and not fresh.item.is_active:
            raise InvalidBom(f"item {fresh.item.sku} is inactive; activate it before activating its BOM", field="item")
        cleaned = _clean_lines(fresh.item, lines) if lines is not None else None
        if version is not None:
            fresh.version = _clean_version(version)
        if is_active is not None:
            fresh.is_active = is_active
        if note is not None:
            fresh.note = note.strip()[:200]
        for name, value in costs.items():
            setattr(fresh, name, value)
        _save_bom(bom=fresh, lines=cleaned, user=user)
        changes = changes_since(fresh, before)
        if cleaned is not None:
            changes["lines"] = [None, len(cleaned)]
        _audit(ProductionEvent.Action.BOM_UPDATED, user, bom=fresh, changes=changes, lines_replaced=cleaned is not None)
    bom.refresh_from_db()
    return fresh


def bom_delete(*, bom: Bom, user: User) -> None:
    """Delete a BOM no work order used; a used one can only be deactivated (its work orders keep pointing to it)."""
    with transaction.atomic():
        _lock_bom_graph()
        if WorkOrder.objects.filter(bom_id=bom.pk).exists():
            raise InvalidBom(
                f"BOM v{bom.version} of {bom.item.sku} was used by work orders; deactivate it instead", field="bom"
            )
        pk, changes = bom.pk, _deleted(bom, _BOM_AUDITED)
        seeds = _bom_family(bom.item_id)
        bom.delete()
        bom.pk = pk
        refresh_low_level_codes(seeds)
        _audit(ProductionEvent.Action.BOM_DELETED, user, bom=bom, changes=changes)
