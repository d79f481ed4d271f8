"""Work orders through their states: release reserves components, completion consumes them and receives the
finished goods, cancel releases what is still reserved (all through inventory's services).

Each of those three locks the work order, then its components, then the level rows in primary-key order, and never
its item or location (the lock order of `inventory.services.locking`); each retries itself when PostgreSQL still
aborts it for a deadlock (`core.retry`)."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from audit.services import changes_since, snapshot
from core.retry import retry_on_conflict
from core.validators import plan_date_error
from inventory.models import Item, Location, StockLevel, StockMove
from inventory.selectors import default_receiving_location
from inventory.services import (
    LotsInput,
    check_item_quantity,
    hold_items,
    lock_levels,
    lot_genealogy_record,
    parse_quantity,
    stock_issue,
    stock_move_post,
    stock_reserve,
    stock_unreserve,
    valuation_lock,
)
from production.models import Bom, ProductionEvent, WorkOrder, WorkOrderComponent
from production.services._shared import _WO_AUDITED, User, _acting, _audit, _created, _fmt
from production.services._shared import PLACES as MONEY_PLACES
from production.services.errors import ComponentShortage, ProductionError, TransitionNotAllowed

State = WorkOrder.State


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
    item = Item.objects.select_related("uom").filter(pk=item.pk).first() or item
    if item.pk is not None:
        check_item_quantity(item, quantity)
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
        # The item's stock unit must stay the one the quantity was checked against until commit.
        hold_items([item], error=ProductionError)
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


def lock_work_order(work_order: WorkOrder) -> WorkOrder:
    return (
        WorkOrder.objects.select_for_update(of=("self",))
        .select_related("item", "location", "bom")
        .get(pk=work_order.pk)
    )


_ALLOWED_FROM: dict[str, tuple[str, ...]] = {
    "edit": (State.DRAFT,),
    "delete": (State.DRAFT,),
    "release": (State.DRAFT,),
    "start": (State.RELEASED,),
    "complete": (State.IN_PROGRESS,),
    "cancel": (State.DRAFT, State.RELEASED, State.IN_PROGRESS),
    "uncomplete": (State.DONE, State.IN_PROGRESS),
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
    ("uncomplete", State.DRAFT): "nothing has been completed",
    ("uncomplete", State.RELEASED): "nothing has been completed",
    ("uncomplete", State.CANCELLED): "a cancelled work order stays cancelled",
}


_PAST = {
    "edit": "edited",
    "delete": "deleted",
    "release": "released",
    "start": "started",
    "complete": "completed",
    "cancel": "cancelled",
    "uncomplete": "un-completed",
}


def transition_blocker(work_order: WorkOrder, action: str) -> str | None:
    """Why `action` (release, start, complete, cancel, edit, delete) is not allowed now; None when it is."""
    allowed = _ALLOWED_FROM[action]
    if action == "uncomplete" and work_order.state == State.IN_PROGRESS and not work_order.completed_quantity:
        return f"cannot uncomplete {work_order.number}: nothing has been completed"
    if work_order.state in allowed:
        return None
    state = State(work_order.state).label.lower()
    only = " or ".join(State(value).label.lower() for value in allowed)
    hint = _HINTS.get((action, work_order.state), f"only {only} work orders can be {_PAST[action]}")
    return f"cannot {action} {work_order.number}: it is {state}; {hint}"


def guard_transition(work_order: WorkOrder, action: str) -> None:
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
        fresh = lock_work_order(work_order)
        guard_transition(fresh, "edit")
        before = snapshot(fresh, _WO_AUDITED)
        if quantity is not None:
            fresh.quantity = check_item_quantity(fresh.item, parse_quantity(quantity))
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
        fresh = lock_work_order(work_order)
        guard_transition(fresh, "delete")
        before = snapshot(fresh, _WO_AUDITED)
        pk = fresh.pk
        fresh.delete()
        fresh.pk = pk
        changes = {name: [value, None] for name, value in changes_since(fresh, dict.fromkeys(before)).items()}
        _audit(ProductionEvent.Action.WO_DELETED, user, work_order=fresh, changes=changes, number=fresh.number)


def released_location(work_order: WorkOrder) -> Location:
    """Where a released work order takes and puts stock (release sets it)."""
    if work_order.location is None:
        raise ProductionError(f"{work_order.number} has no location; release it first", field="location")
    return work_order.location


def lock_component_levels(location: Location, item_ids: Iterable[int]) -> None:
    """Lock the existing level rows this operation will change, all at once in primary-key order (as the orders app
    does), so inventory's own per-call locks are then taken on rows already held and no two writers deadlock."""
    lock_levels((item_id, location.pk) for item_id in item_ids)


@retry_on_conflict
def work_order_release(*, work_order: WorkOrder, user: User, location: Location | None = None) -> WorkOrder:
    """Draft -> released: fix the BOM and location, check that every component is available there for the whole
    order (the error lists each short one) and reserve them all. Default location: the default receiving one."""
    with transaction.atomic():
        fresh = lock_work_order(work_order)
        guard_transition(fresh, "release")
        before = snapshot(fresh, _WO_AUDITED)
        location = location or default_receiving_location()
        if location is None:
            raise ProductionError("choose a location: this tenant has no default receiving location", field="location")
        if not Location.objects.filter(pk=location.pk, is_active=True).exists():
            raise ProductionError(f"location {location.code} is inactive; choose another", field="location")
        bom = _active_bom(fresh.item)
        if bom is None:
            raise ProductionError(f"item {fresh.item.sku} has no active BOM; give it one first", field="item")
        lines = list(bom.lines.select_related("component", "component__uom").order_by("component_id"))
        needed = {line.component_id: line.required_for(fresh.quantity) for line in lines}
        lock_component_levels(location, needed)
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
        fresh = lock_work_order(work_order)
        guard_transition(fresh, "start")
        before = snapshot(fresh, _WO_AUDITED)
        fresh.state, fresh.started_at = State.IN_PROGRESS, timezone.now()
        fresh.save(update_fields=["state", "started_at", "updated_at"])
        _audit(ProductionEvent.Action.WO_STARTED, user, work_order=fresh, changes=changes_since(fresh, before))
    work_order.refresh_from_db()
    return fresh


def _output_lots(work_order: WorkOrder, made: Decimal, lots: LotsInput) -> LotsInput:
    """The lots the finished goods get: as given, else a lot named after the work order (tracked by lot) or one
    serial number per unit, <number>-0001 onwards across completions (tracked by serial)."""
    if lots or work_order.item.tracking == Item.Tracking.NONE:
        return lots
    if work_order.item.tracking == Item.Tracking.LOT:
        return [work_order.number]
    first = int(work_order.completed_quantity) + 1
    return [f"{work_order.number}-{number:04d}" for number in range(first, first + int(made))]


@retry_on_conflict
def work_order_complete(
    *,
    work_order: WorkOrder,
    user: User,
    quantity: Decimal | int | str | None = None,
    lots: LotsInput = None,
    component_lots: Mapping[int, LotsInput] | None = None,
) -> WorkOrder:
    """Report `quantity` finished (default: all that is left). Components are consumed pro rata from the reservation
    (cumulatively, so the last completion consumes exactly what is left) and the finished quantity is received,
    all in one transaction. The order is done when its whole quantity is finished.

    Tracked components are taken from the lots picked in `component_lots` (by item id), else first-expiry-first-out;
    tracked finished goods get `lots` or new ones (`_output_lots`), and the genealogy records which component lots
    went into them.

    Costing: the components are consumed at their moving-average cost, labour and overhead come from the BOM, and
    the order keeps these actual costs with the standard cost of what it completed (the variance is the difference);
    the finished goods are received at this completion's actual unit cost."""
    with transaction.atomic():
        fresh = lock_work_order(work_order)
        guard_transition(fresh, "complete")
        before = snapshot(fresh, _WO_AUDITED)
        remaining = fresh.remaining_quantity
        made = remaining if quantity is None else check_item_quantity(fresh.item, parse_quantity(quantity))
        if made > remaining:
            raise ProductionError(
                f"{fresh.number} has {_fmt(remaining)} left to make; {_fmt(made)} reported", field="quantity"
            )
        completed = fresh.completed_quantity + made
        final = completed == fresh.quantity
        components = list(
            fresh.components.select_for_update(of=("self",)).select_related("item", "item__uom").order_by("item_id")
        )
        location = released_location(fresh)
        lock_component_levels(location, [fresh.item_id, *(component.item_id for component in components)])
        valuation_lock([fresh.item_id, *(component.item_id for component in components)])
        operations: list[tuple[int, WorkOrderComponent, Decimal]] = []
        for component in components:
            target = component.required_quantity
            if not final:
                places = Decimal(1).scaleb(-component.item.uom.decimals)
                target = (component.required_quantity * completed / fresh.quantity).quantize(places, ROUND_HALF_UP)
            consume = min(target - component.consumed_quantity, component.reserved_quantity)
            if consume > 0:
                operations.append((component.item_id, component, consume))
        picked = component_lots or {}
        consumed_moves: list[StockMove] = []
        material = Decimal(0)
        for _, consumed, amount in operations:  # in item order
            move = stock_issue(
                item=consumed.item, location=location, quantity=amount, user=user,
                reason=StockMove.Reason.PRODUCTION_CONSUMPTION, reference=fresh.number, source=fresh,
                from_reservation=True, lots=picked.get(consumed.item_id),
            )  # fmt: skip
            consumed_moves.append(move)
            material += (amount * (move.unit_cost or 0)).quantize(MONEY_PLACES, ROUND_HALF_UP)
            WorkOrderComponent.objects.filter(pk=consumed.pk).update(
                consumed_quantity=F("consumed_quantity") + amount, reserved_quantity=F("reserved_quantity") - amount
            )
        labour, overhead = _conversion_share(fresh, completed, final)
        fresh.material_cost += material
        fresh.labour_cost += labour
        fresh.overhead_cost += overhead
        fresh.standard_cost += (made * fresh.item.standard_cost).quantize(MONEY_PLACES, ROUND_HALF_UP)
        # The finished goods come in at what this completion cost, so their moving average follows actual cost.
        # (Posted after the components: every level and valuation row is already locked above, in order.)
        output_move = stock_move_post(
            item=fresh.item, quantity=made, reason=StockMove.Reason.PRODUCTION_OUTPUT, to_location=location,
            user=user, reference=fresh.number, source=fresh, lots=_output_lots(fresh, made, lots),
            unit_cost=((material + labour + overhead) / made).quantize(MONEY_PLACES, ROUND_HALF_UP),
        )  # fmt: skip
        if fresh.item.tracking != Item.Tracking.NONE:
            lot_genealogy_record(consumed=consumed_moves, produced=output_move, source=fresh)
        fresh.completed_quantity = completed
        fields = ["completed_quantity", "updated_at", "material_cost", "labour_cost", "overhead_cost", "standard_cost"]
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
            material_cost=material,
            labour_cost=labour,
            overhead_cost=overhead,
        )
    work_order.refresh_from_db()
    return fresh


def _conversion_share(work_order: WorkOrder, completed: Decimal, final: bool) -> tuple[Decimal, Decimal]:
    """The labour and overhead this completion adds: the order's whole conversion cost (per unit, or per started
    batch of its BOM) pro rata to what is completed so far, less what earlier completions took; the last one takes
    exactly what is left."""
    bom = work_order.bom
    if bom is None:
        return Decimal(0), Decimal(0)
    labour, overhead = bom.conversion_for(work_order.quantity)
    if not final:
        labour = (labour * completed / work_order.quantity).quantize(MONEY_PLACES, ROUND_HALF_UP)
        overhead = (overhead * completed / work_order.quantity).quantize(MONEY_PLACES, ROUND_HALF_UP)
    return labour - work_order.labour_cost, overhead - work_order.overhead_cost


@retry_on_conflict
def work_order_cancel(*, work_order: WorkOrder, user: User) -> WorkOrder:
    """Cancel an open work order: release every reservation it still holds. Goods already made stay made."""
    with transaction.atomic():
        fresh = lock_work_order(work_order)
        guard_transition(fresh, "cancel")
        before = snapshot(fresh, _WO_AUDITED)
        held = list(
            fresh.components.select_for_update(of=("self",))
            .select_related("item")
            .filter(reserved_quantity__gt=0)
            .order_by("item_id")
        )
        if held:
            location = released_location(fresh)
            lock_component_levels(location, [component.item_id for component in held])
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
