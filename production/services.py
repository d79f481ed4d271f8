"""Every write of production: BOMs with their lines, and work orders through their states.

Stock is never written here: release reserves components with `inventory.services.stock_reserve`, completion
consumes them (production-consumption moves from the reservation) and receives the finished goods (a
production-output move), cancel releases what is still reserved. Each service runs in one transaction, so a
refusal anywhere leaves nothing written. Before calling inventory, a service locks every level row it will change
in primary-key order (`_lock_levels`), so it never waits on another writer's rows in the opposite order.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass
from datetime import date
from decimal import ROUND_HALF_UP, ROUND_UP, Decimal, InvalidOperation

from django.contrib.auth.models import User as AuthUser
from django.core.serializers.json import DjangoJSONEncoder
from django.db import IntegrityError, connection, transaction
from django.db.models import F
from django.utils import timezone

from audit.services import audit_record, changes_since, snapshot
from core.errors import DomainError
from core.limits import capped_lines
from core.users import acting_user as _acting
from core.validators import plan_date_error
from inventory.models import Item, Location, StockLevel, StockMove
from inventory.selectors import default_receiving_location
from inventory.services import (
    InvalidQuantity,
    parse_quantity,
    stock_issue,
    stock_move_post,
    stock_reserve,
    stock_unreserve,
)
from production.models import Bom, BomLine, MrpRun, ProductionEvent, WorkOrder, WorkOrderComponent

User = AuthUser | None
PLACES = Decimal("0.0001")
State = WorkOrder.State


# --- Domain errors -------------------------------------------------------------------------------------------------
class ProductionError(DomainError):
    pass


class InvalidBom(ProductionError):
    pass


class BomCycle(InvalidBom):
    pass


class TransitionNotAllowed(ProductionError):
    pass


class ComponentShortage(ProductionError):
    def __init__(self, message: str, *, shortages: list[tuple[str, Decimal, Decimal]]) -> None:
        super().__init__(message, field="components")
        self.shortages = shortages


def _fmt(value: Decimal) -> str:
    return f"{value.normalize():f}"


# Fields whose old -> new values the audit log keeps (see audit.services.audit_record).
_BOM_AUDITED = ("item", "version", "is_active", "note")
_WO_AUDITED = ("number", "item", "quantity", "due_date", "note", "state", "bom", "location", "completed_quantity")


def _created(obj, fields: Iterable[str]) -> dict[str, list[object]]:
    return changes_since(obj, dict.fromkeys(fields))


def _deleted(obj, fields: Iterable[str]) -> dict[str, list[object]]:
    return {name: [value, None] for name, value in changes_since(obj, dict.fromkeys(fields)).items()}


def _audit(
    action: str,
    user: User,
    *,
    bom: Bom | None = None,
    work_order: WorkOrder | None = None,
    changes: Mapping[str, object] | None = None,
    **detail,
) -> None:
    """The production event (the work order's own history) and the tenant's audit entry, with `changes`."""
    audited = work_order if work_order is not None else bom
    if audited is None:
        raise ValueError("a production event names its work order or its BOM")
    audit_record(user=user, action=f"production.{action}", obj=audited, changes=changes)
    ProductionEvent.objects.create(
        action=action,
        bom_id=bom.pk if bom is not None else None,
        work_order_id=work_order.pk if work_order is not None else None,
        detail={key: str(value) if isinstance(value, Decimal) else value for key, value in detail.items()},
        created_by=_acting(user),
    )


# --- BOMs ----------------------------------------------------------------------------------------------------------
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
        component.pk: component for component in Item.objects.filter(pk__in=[i for i in ids if i is not None])
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
            quantity = parse_quantity(line.get("quantity"), field="quantity")
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


def _save_bom(*, bom: Bom, lines: list[_Line] | None, user: User) -> Bom:
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
) -> Bom:
    """A BOM for `item`. Activating it deactivates the item's previous active BOM; a cycle, a line for the item
    itself, a quantity <= 0, a scrap outside 0-100 or an inactive item or component is refused."""
    item = Item.objects.filter(pk=item.pk).first() or item
    if item.pk is None or not item.is_active:
        raise InvalidBom(f"item {item.sku} is inactive; activate it before giving it a BOM", field="item")
    with transaction.atomic():
        _lock_bom_graph()
        cleaned = _clean_lines(item, lines)
        bom = Bom(item=item, version=_clean_version(version), is_active=is_active, note=note.strip()[:200])
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
) -> Bom:
    """Change a BOM; `lines`, when given, replace all its lines. The same checks as `bom_create` apply."""
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
        if WorkOrder.objects.filter(bom_id=bom.pk).exists():
            raise InvalidBom(
                f"BOM v{bom.version} of {bom.item.sku} was used by work orders; deactivate it instead", field="bom"
            )
        pk, changes = bom.pk, _deleted(bom, _BOM_AUDITED)
        bom.delete()
        bom.pk = pk
        _audit(ProductionEvent.Action.BOM_DELETED, user, bom=bom, changes=changes)


# --- Work orders ---------------------------------------------------------------------------------------------------
def _active_bom(item: Item) -> Bom | None:
    return Bom.objects.filter(item_id=item.pk, is_active=True).first()


def _check_due_date(due_date: date) -> None:
    problem = plan_date_error(due_date)
    if problem:
        raise ProductionError(f"the due date {problem}", field="due_date")


def work_order_create(
    *,
    item: Item,
    quantity: Decimal | int | str,
    due_date: date,
    user: User,
    number: str = "",
    note: str = "",
) -> WorkOrder:
    """A draft work order to make `quantity` of `item` by `due_date`; the item must be active and have an active BOM.

    Without a number it gets WO-<id>, zero-padded to 6 digits."""
    quantity = parse_quantity(quantity)
    item = Item.objects.filter(pk=item.pk).first() or item
    if item.pk is None or not item.is_active:
        raise ProductionError(f"item {item.sku} is inactive; activate it before making it", field="item")
    if _active_bom(item) is None:
        raise ProductionError(
            f"item {item.sku} has no active BOM; give it one before ordering its production", field="item"
        )
    if due_date is None:
        raise ProductionError("a due date is required", field="due_date")
    _check_due_date(due_date)
    number = number.strip()
    if len(number) > 32:
        raise ProductionError("the work order number is longer than 32 characters", field="number")
    with transaction.atomic():
        work_order = WorkOrder(
            number=number or f"new-{uuid.uuid4().hex[:24]}",
            item=item,
            quantity=quantity,
            due_date=due_date,
            note=note.strip()[:200],
            created_by=_acting(user),
        )
        try:
            with transaction.atomic():
                work_order.save()
        except IntegrityError:
            raise ProductionError(f"work order number {number} is taken; choose another", field="number") from None
        if not number:
            work_order.number = f"WO-{work_order.pk:06d}"
            work_order.save(update_fields=["number"])
        _audit(
            ProductionEvent.Action.WO_CREATED,
            user,
            work_order=work_order,
            changes=_created(work_order, _WO_AUDITED),
            item=item.sku,
            quantity=quantity,
        )
    return work_order


def _lock(work_order: WorkOrder) -> WorkOrder:
    return WorkOrder.objects.select_for_update(of=("self",)).select_related("item", "location").get(pk=work_order.pk)


_ALLOWED_FROM: dict[str, tuple[str, ...]] = {
    "edit": (State.DRAFT,),
    "delete": (State.DRAFT,),
    "release": (State.DRAFT,),
    "start": (State.RELEASED,),
    "complete": (State.IN_PROGRESS,),
    "cancel": (State.DRAFT, State.RELEASED, State.IN_PROGRESS),
}

_HINTS: dict[tuple[str, str], str] = {
    ("release", State.RELEASED): "it is already released",
    ("start", State.DRAFT): "release it first",
    ("start", State.IN_PROGRESS): "it is already in progress",
    ("complete", State.DRAFT): "release and start it first",
    ("complete", State.RELEASED): "start it first",
    ("edit", State.RELEASED): "cancel it and create a new one",
    ("edit", State.IN_PROGRESS): "cancel it and create a new one",
    ("delete", State.RELEASED): "cancel it instead",
    ("delete", State.IN_PROGRESS): "cancel it instead",
    ("complete", State.DONE): "nothing is left to make",
    ("complete", State.CANCELLED): "a cancelled work order makes nothing more",
    ("cancel", State.DONE): "a finished work order stays done",
    ("cancel", State.CANCELLED): "it is already cancelled",
}


_PAST = {
    "edit": "edited",
    "delete": "deleted",
    "release": "released",
    "start": "started",
    "complete": "completed",
    "cancel": "cancelled",
}


def transition_blocker(work_order: WorkOrder, action: str) -> str | None:
    """Why `action` (release, start, complete, cancel, edit, delete) is not allowed now; None when it is."""
    allowed = _ALLOWED_FROM[action]
    if work_order.state in allowed:
        return None
    state = State(work_order.state).label.lower()
    only = " or ".join(State(value).label.lower() for value in allowed)
    hint = _HINTS.get((action, work_order.state), f"only {only} work orders can be {_PAST[action]}")
    return f"cannot {action} {work_order.number}: it is {state}; {hint}"


def _guard(work_order: WorkOrder, action: str) -> None:
    reason = transition_blocker(work_order, action)
    if reason is not None:
        raise TransitionNotAllowed(reason, field="state")


def work_order_update(
    *,
    work_order: WorkOrder,
    user: User,
    quantity: Decimal | int | str | None = None,
    due_date: date | None = None,
    note: str | None = None,
) -> WorkOrder:
    """Change quantity, due date or note of a draft work order."""
    with transaction.atomic():
        fresh = _lock(work_order)
        _guard(fresh, "edit")
        before = snapshot(fresh, _WO_AUDITED)
        if quantity is not None:
            fresh.quantity = parse_quantity(quantity)
        if due_date is not None:
            _check_due_date(due_date)
            fresh.due_date = due_date
        if note is not None:
            fresh.note = note.strip()[:200]
        fresh.save()
        _audit(
            ProductionEvent.Action.WO_UPDATED,
            user,
            work_order=fresh,
            changes=changes_since(fresh, before),
            quantity=fresh.quantity,
        )
    work_order.refresh_from_db()
    return fresh


def work_order_delete(*, work_order: WorkOrder, user: User) -> None:
    """Delete a draft work order (nothing was reserved yet); later ones are cancelled instead."""
    with transaction.atomic():
        fresh = _lock(work_order)
        _guard(fresh, "delete")
        before = snapshot(fresh, _WO_AUDITED)
        pk = fresh.pk
        fresh.delete()
        fresh.pk = pk
        changes = {name: [value, None] for name, value in changes_since(fresh, dict.fromkeys(before)).items()}
        _audit(ProductionEvent.Action.WO_DELETED, user, work_order=fresh, changes=changes, number=fresh.number)


def _released_location(work_order: WorkOrder) -> Location:
    """Where a released work order takes and puts stock (release sets it)."""
    if work_order.location is None:
        raise ProductionError(f"{work_order.number} has no location; release it first", field="location")
    return work_order.location


def _lock_levels(location: Location, item_ids: Iterable[int]) -> None:
    """Lock the existing level rows this operation will change, all at once in primary-key order (as the orders app
    does), so inventory's own per-call locks are then taken on rows already held and no two writers deadlock."""
    list(
        StockLevel.objects.select_for_update()
        .filter(location_id=location.pk, item_id__in=list(item_ids))
        .order_by("pk")
        .values_list("pk", flat=True)
    )


def required_quantity(work_order_quantity: Decimal, line: BomLine) -> Decimal:
    """Quantity of a line's component for a work order, scrap included, rounded up to the stock precision."""
    return (work_order_quantity * line.factor).quantize(PLACES, rounding=ROUND_UP)


def work_order_release(*, work_order: WorkOrder, user: User, location: Location | None = None) -> WorkOrder:
    """Draft -> released: fix the BOM and location, check that every component is available there for the whole
    order (the error lists each short one) and reserve them all. Default location: the default receiving one."""
    with transaction.atomic():
        fresh = _lock(work_order)
        _guard(fresh, "release")
        before = snapshot(fresh, _WO_AUDITED)
        location = location or default_receiving_location()
        if location is None:
            raise ProductionError("choose a location: this tenant has no default receiving location", field="location")
        if not Location.objects.filter(pk=location.pk, is_active=True).exists():
            raise ProductionError(f"location {location.code} is inactive; choose another", field="location")
        bom = _active_bom(fresh.item)
        if bom is None:
            raise ProductionError(f"item {fresh.item.sku} has no active BOM; give it one first", field="item")
        lines = list(bom.lines.select_related("component").order_by("component_id"))
        needed = {line.component_id: required_quantity(fresh.quantity, line) for line in lines}
        _lock_levels(location, needed)
        available = {
            level.item_id: level.on_hand - level.reserved
            for level in StockLevel.objects.filter(location_id=location.pk, item_id__in=needed)
        }
        shortages = [
            (line.component.sku, needed[line.component_id], available.get(line.component_id, Decimal(0)))
            for line in lines
            if available.get(line.component_id, Decimal(0)) < needed[line.component_id]
        ]
        if shortages:
            listed = "; ".join(f"{sku} needs {_fmt(need)}, {_fmt(have)} available" for sku, need, have in shortages)
            raise ComponentShortage(
                f"cannot release {fresh.number}: not enough components at {location.code}: {listed}",
                shortages=shortages,
            )
        for line in lines:
            stock_reserve(
                item=line.component, location=location, quantity=needed[line.component_id], user=user,
                reference=fresh.number,
            )  # fmt: skip
        WorkOrderComponent.objects.bulk_create(
            WorkOrderComponent(
                work_order=fresh,
                item=line.component,
                required_quantity=needed[line.component_id],
                reserved_quantity=needed[line.component_id],
            )
            for line in lines
        )
        fresh.state, fresh.bom, fresh.location, fresh.released_at = State.RELEASED, bom, location, timezone.now()
        fresh.save(update_fields=["state", "bom", "location", "released_at", "updated_at"])
        _audit(
            ProductionEvent.Action.WO_RELEASED,
            user,
            work_order=fresh,
            changes=changes_since(fresh, before),
            location=location.code,
            bom_version=bom.version,
        )
    work_order.refresh_from_db()
    return fresh


def work_order_start(*, work_order: WorkOrder, user: User) -> WorkOrder:
    """Released -> in progress: the shop floor has begun."""
    with transaction.atomic():
        fresh = _lock(work_order)
        _guard(fresh, "start")
        before = snapshot(fresh, _WO_AUDITED)
        fresh.state, fresh.started_at = State.IN_PROGRESS, timezone.now()
        fresh.save(update_fields=["state", "started_at", "updated_at"])
        _audit(ProductionEvent.Action.WO_STARTED, user, work_order=fresh, changes=changes_since(fresh, before))
    work_order.refresh_from_db()
    return fresh


def work_order_complete(*, work_order: WorkOrder, user: User, quantity: Decimal | int | str | None = None) -> WorkOrder:
    """Report `quantity` finished (default: all that is left). Components are consumed pro rata from the reservation
    (cumulatively, so the last completion consumes exactly what is left) and the finished quantity is received,
    all in one transaction. The order is done when its whole quantity is finished."""
    with transaction.atomic():
        fresh = _lock(work_order)
        _guard(fresh, "complete")
        before = snapshot(fresh, _WO_AUDITED)
        remaining = fresh.remaining_quantity
        made = remaining if quantity is None else parse_quantity(quantity)
        if made > remaining:
            raise ProductionError(
                f"{fresh.number} has {_fmt(remaining)} left to make; {_fmt(made)} reported", field="quantity"
            )
        completed = fresh.completed_quantity + made
        final = completed == fresh.quantity
        components = list(fresh.components.select_for_update().select_related("item").order_by("item_id"))
        location = _released_location(fresh)
        _lock_levels(location, [fresh.item_id, *(component.item_id for component in components)])
        operations: list[tuple[int, WorkOrderComponent | None, Decimal]] = []
        for component in components:
            target = component.required_quantity
            if not final:
                target = (component.required_quantity * completed / fresh.quantity).quantize(PLACES, ROUND_HALF_UP)
            consume = min(target - component.consumed_quantity, component.reserved_quantity)
            if consume > 0:
                operations.append((component.item_id, component, consume))
        operations.append((fresh.item_id, None, made))
        for _, consumed, amount in sorted(operations, key=lambda op: op[0]):
            if consumed is None:
                stock_move_post(
                    item=fresh.item, quantity=amount, reason=StockMove.Reason.PRODUCTION_OUTPUT,
                    to_location=location, user=user, reference=fresh.number, source=fresh,
                )  # fmt: skip
                continue
            stock_issue(
                item=consumed.item, location=location, quantity=amount, user=user,
                reason=StockMove.Reason.PRODUCTION_CONSUMPTION, reference=fresh.number, source=fresh,
                from_reservation=True,
            )  # fmt: skip
            WorkOrderComponent.objects.filter(pk=consumed.pk).update(
                consumed_quantity=F("consumed_quantity") + amount, reserved_quantity=F("reserved_quantity") - amount
            )
        fresh.completed_quantity = completed
        fields = ["completed_quantity", "updated_at"]
        if final:
            fresh.state, fresh.finished_at = State.DONE, timezone.now()
            fields += ["state", "finished_at"]
        fresh.save(update_fields=fields)
        _audit(
            ProductionEvent.Action.WO_COMPLETED,
            user,
            work_order=fresh,
            changes=changes_since(fresh, before),
            quantity=made,
            done=final,
        )
    work_order.refresh_from_db()
    return fresh


def work_order_cancel(*, work_order: WorkOrder, user: User) -> WorkOrder:
    """Cancel an open work order: release every reservation it still holds. Goods already made stay made."""
    with transaction.atomic():
        fresh = _lock(work_order)
        _guard(fresh, "cancel")
        before = snapshot(fresh, _WO_AUDITED)
        held = list(
            fresh.components.select_for_update()
            .select_related("item")
            .filter(reserved_quantity__gt=0)
            .order_by("item_id")
        )
        if held:
            location = _released_location(fresh)
            _lock_levels(location, [component.item_id for component in held])
        for component in held:
            stock_unreserve(
                item=component.item, location=location, quantity=component.reserved_quantity, user=user,
                reference=f"{fresh.number} cancelled",
            )  # fmt: skip
            WorkOrderComponent.objects.filter(pk=component.pk).update(reserved_quantity=0)
        fresh.state, fresh.finished_at = State.CANCELLED, timezone.now()
        fresh.save(update_fields=["state", "finished_at", "updated_at"])
        _audit(ProductionEvent.Action.WO_CANCELLED, user, work_order=fresh, changes=changes_since(fresh, before))
    work_order.refresh_from_db()
    return fresh


TRANSITIONS = {
    "release": work_order_release,
    "start": work_order_start,
    "complete": work_order_complete,
    "cancel": work_order_cancel,
}


# --- MRP runs ------------------------------------------------------------------------------------------------------
MAX_HORIZON_DAYS = 730


class InvalidMrpRun(ProductionError):
    pass


def mrp_run_create(*, user: User, horizon_days: int | None = None) -> MrpRun:
    """Queue an MRP run, computed by a Celery task once this transaction commits. The horizon, when given, is a
    whole number of days from 1 to 730: only demand due within it counts."""
    if horizon_days is not None and (
        isinstance(horizon_days, bool) or not isinstance(horizon_days, int) or not 1 <= horizon_days <= MAX_HORIZON_DAYS
    ):
        raise InvalidMrpRun(
            f"the horizon must be a whole number of days from 1 to {MAX_HORIZON_DAYS}, or empty for all demand",
            field="horizon_days",
        )
    from production.tasks import run_mrp

    with transaction.atomic():
        run = MrpRun.objects.create(horizon_days=horizon_days, created_by=_acting(user))
        transaction.on_commit(lambda: run_mrp.delay(run.pk))
    return run


def mrp_run_execute(*, run_id: int) -> MrpRun:
    """Compute a queued run with today's demand, stock and supply, and keep its planned lines on the run.

    The run is marked running (committed, so its page says so) before the work starts; a redelivered task does not
    compute a finished run again, and one whose worker died mid-way starts over."""
    from production.selectors import mrp_report

    with transaction.atomic():
        run = MrpRun.objects.select_for_update().get(pk=run_id)
        if run.is_finished:
            return run
        run.status, run.started_at = MrpRun.Status.RUNNING, timezone.now()
        run.save(update_fields=["status", "started_at"])

    lines = mrp_report(horizon_days=run.horizon_days)
    run.lines = [json.loads(json.dumps(asdict(line), cls=DjangoJSONEncoder)) for line in lines]
    run.line_count, run.late_count = len(lines), sum(1 for line in lines if line.late)
    run.status, run.finished_at = MrpRun.Status.DONE, timezone.now()
    run.save(update_fields=["lines", "line_count", "late_count", "status", "finished_at"])
    return run


def mrp_run_fail(*, run_id: int, reason: str) -> MrpRun:
    """Record that a run could not be computed (its task gave up), so its page stops waiting and says why."""
    with transaction.atomic():
        run = MrpRun.objects.select_for_update().get(pk=run_id)
        if not run.is_finished:
            run.status, run.failure, run.finished_at = MrpRun.Status.FAILED, reason[:1000], timezone.now()
            run.save(update_fields=["status", "failure", "finished_at"])
    return run
