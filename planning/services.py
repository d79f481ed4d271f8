"""Writes of planning: queue an MRP run; firm, change and convert planned orders. The worker's side of a run
(compute it, or record that it failed) is in `planning.runs`, which the task calls; this module sends the task, so
the two never import each other."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.contrib.auth.models import User as AuthUser
from django.db import transaction
from django.utils import timezone

from audit.services import audit_record, changes_since, snapshot
from core.errors import DomainError
from core.numbers import parse_quantity
from core.users import acting_user
from core.validators import MAX_LEAD_TIME_DAYS, plan_date_error
from inventory.services import check_item_quantity
from orders.models import PurchaseOrder
from orders.services import preferred_supplier_items, purchase_order_create
from planning.engine import days_before
from planning.models import MrpRun, PlannedOrder
from planning.tasks import run_mrp
from production.models import Bom, WorkOrder
from production.services import work_order_create

MAX_HORIZON_DAYS = 730


class InvalidMrpRun(DomainError):
    pass


def mrp_run_create(*, user: AuthUser | None, horizon_days: int | None = None) -> MrpRun:
    """Queue an MRP run, computed by a Celery task once this transaction commits. The horizon, when given, is a
    whole number of days from 1 to 730: only demand due within it counts."""
    if horizon_days is not None and (
        isinstance(horizon_days, bool) or not isinstance(horizon_days, int) or not 1 <= horizon_days <= MAX_HORIZON_DAYS
    ):
        raise InvalidMrpRun(
            f"the horizon must be a whole number of days from 1 to {MAX_HORIZON_DAYS}, or empty for all demand",
            field="horizon_days",
        )
    with transaction.atomic():
        run = MrpRun.objects.create(horizon_days=horizon_days, created_by=acting_user(user))
        transaction.on_commit(lambda: run_mrp.delay(run.pk))
    return run


# --- Planned orders: firm, change, convert --------------------------------------------------------------------------
class PlannedOrderError(DomainError):
    pass


def latest_run() -> MrpRun | None:
    """The last finished run (by when it was started): its planned orders are the current proposal."""
    return MrpRun.objects.filter(status=MrpRun.Status.DONE).order_by("-created_at", "-id").only("pk").first()


def _lock(planned_orders: Iterable[PlannedOrder]) -> list[PlannedOrder]:
    """The planned orders locked in id order (two planners acting on overlapping selections never deadlock)."""
    ids = sorted({order.pk for order in planned_orders})
    locked = list(
        PlannedOrder.objects.select_for_update(of=("self",))
        .select_related("item__uom")
        .filter(pk__in=ids)
        .order_by("pk")
    )
    if len(locked) != len(ids):
        raise PlannedOrderError("a planned order was not found", field="ids")
    return locked


def _refusal(order: PlannedOrder, latest: MrpRun | None) -> str | None:
    if order.status == PlannedOrder.Status.CONVERTED:
        document = order.document
        return f"{order.label} is already converted" + (f" into {document}" if document is not None else "")
    if order.status == PlannedOrder.Status.PLANNED and (latest is None or order.run_id != latest.pk):
        return f"{order.label} ({order.item.sku}) is from run #{order.run_id}, which is out of date" + (
            f": act on the planned orders of run #{latest.pk}" if latest is not None else ""
        )
    return None


def _guard(orders: list[PlannedOrder]) -> None:
    latest = latest_run() if any(order.status == PlannedOrder.Status.PLANNED for order in orders) else None
    refusals = [problem for order in orders if (problem := _refusal(order, latest))]
    if refusals:
        raise PlannedOrderError("; ".join(refusals), field="ids")


def _firm(order: PlannedOrder, user: AuthUser | None) -> dict[str, list[object]]:
    if order.status == PlannedOrder.Status.FIRM:
        return {}
    order.status, order.firmed_at, order.firmed_by = PlannedOrder.Status.FIRM, timezone.now(), acting_user(user)
    return {"status": [PlannedOrder.Status.PLANNED, PlannedOrder.Status.FIRM]}


def planned_order_firm(*, planned_order: PlannedOrder, user: AuthUser | None) -> PlannedOrder:
    """Firm a planned order of the latest run: it keeps its row and every later run keeps it as supply on its due
    date (and, for a make order, its components as demand). Firming a firm order changes nothing."""
    with transaction.atomic():
        [order] = _lock([planned_order])
        _guard([order])
        changes = _firm(order, user)
        if changes:
            order.save(update_fields=["status", "firmed_at", "firmed_by"])
            audit_record(user=user, action="planning.planned_order_firm", obj=order, changes=changes)
    return order


def planned_orders_firm(*, planned_orders: Iterable[PlannedOrder], user: AuthUser | None) -> list[PlannedOrder]:
    """Firm several planned orders together, all or none (see `planned_order_firm`)."""
    orders = list(planned_orders)
    if not orders:
        raise PlannedOrderError("select at least one planned order to firm", field="ids")
    with transaction.atomic():
        locked = _lock(orders)
        _guard(locked)
        for order in locked:
            changes = _firm(order, user)
            if changes:
                order.save(update_fields=["status", "firmed_at", "firmed_by"])
                audit_record(user=user, action="planning.planned_order_firm", obj=order, changes=changes)
    return locked


def planned_order_update(
    *,
    planned_order: PlannedOrder,
    user: AuthUser | None,
    quantity: Decimal | int | str | None = None,
    due_date: date | None = None,
    release_date: date | None = None,
) -> PlannedOrder:
    """Change a planned order's quantity or dates; the order is firmed (a change a run would throw away is no
    change). A new due date without a release date keeps the gap between them (the lead time)."""
    if quantity is None and due_date is None and release_date is None:
        raise PlannedOrderError("give a quantity, a due date or a release date to change", field="quantity")
    for name, value in (("due_date", due_date), ("release_date", release_date)):
        if value is not None:
            if not isinstance(value, date):
                raise PlannedOrderError(f"the {name.replace('_', ' ')} must be a date", field=name)
            if problem := plan_date_error(value):
                raise PlannedOrderError(f"the {name.replace('_', ' ')} {problem}", field=name)
    with transaction.atomic():
        [order] = _lock([planned_order])
        _guard([order])
        before = snapshot(order, ["quantity", "due_date", "release_date"])
        if quantity is not None:
            parsed = parse_quantity(quantity, error=PlannedOrderError)
            order.quantity = check_item_quantity(order.item, parsed, error=PlannedOrderError)
        if due_date is not None:
            gap = (order.due_date - order.release_date).days
            order.due_date = due_date
            if release_date is None:
                order.release_date = days_before(due_date, gap)
        if release_date is not None:
            order.release_date = release_date
        if order.release_date > order.due_date:
            raise PlannedOrderError(
                f"the release date {order.release_date} is after the due date {order.due_date}", field="release_date"
            )
        changes = {**_firm(order, user), **changes_since(order, before)}
        order.save(update_fields=["quantity", "due_date", "release_date", "status", "firmed_at", "firmed_by"])
        audit_record(user=user, action="planning.planned_order_update", obj=order, changes=changes)
    return order


@dataclass
class Conversion:
    """What a conversion made: the draft purchase orders (one per supplier) and work orders, and from what."""

    purchase_orders: list[PurchaseOrder] = field(default_factory=list)
    work_orders: list[WorkOrder] = field(default_factory=list)
    planned_orders: list[PlannedOrder] = field(default_factory=list)


def planned_orders_convert(*, planned_orders: Iterable[PlannedOrder], user: AuthUser | None) -> Conversion:
    """Convert planned orders (planned of the latest run, or firm) in one transaction: buys into draft purchase
    orders, one per preferred supplier, priced from its supplier price, expected on the due date (or after the
    supplier's lead time, when that is later), at least the supplier's minimum; makes into draft work orders with
    the item's active BOM. A line that cannot be converted (no preferred supplier, no active BOM) refuses the whole
    conversion with a message per line naming the item; nothing is written then."""
    orders = list(planned_orders)
    if not orders:
        raise PlannedOrderError("select at least one planned order to convert", field="ids")
    result = Conversion()
    with transaction.atomic():
        locked = _lock(orders)
        _guard(locked)
        buys = [order for order in locked if order.kind == PlannedOrder.Kind.BUY]
        makes = [order for order in locked if order.kind == PlannedOrder.Kind.MAKE]
        prices = preferred_supplier_items({order.item_id for order in buys})
        with_bom = set(
            Bom.objects.filter(is_active=True, item_id__in={o.item_id for o in makes}).values_list("item_id", flat=True)
        )
        refusals = [
            f"{order.label}: item {order.item.sku} has no preferred supplier; give it a supplier price marked "
            "preferred before converting"
            for order in buys
            if order.item_id not in prices
        ] + [
            f"{order.label}: item {order.item.sku} has no active BOM; give it one before converting"
            for order in makes
            if order.item_id not in with_bom
        ]
        if refusals:
            raise PlannedOrderError("; ".join(refusals), field="ids")
        today = timezone.localdate()
        by_supplier: dict[int, list[PlannedOrder]] = defaultdict(list)
        for order in buys:
            by_supplier[prices[order.item_id].supplier_id].append(order)
        for supplier_orders in by_supplier.values():
            supplier = prices[supplier_orders[0].item_id].supplier
            lines = []
            for order in supplier_orders:
                price = prices[order.item_id]
                earliest = days_before(today, -min(price.lead_time_days, MAX_LEAD_TIME_DAYS))
                quantity = max(order.quantity, price.minimum_quantity or order.quantity)
                lines.append({"item": order.item, "quantity": quantity, "unit_cost": price.unit_price,
                              "expected_date": max(order.due_date, earliest)})  # fmt: skip
            purchase_order = purchase_order_create(
                supplier=supplier, lines=lines, user=user,
                notes="From planned orders " + ", ".join(order.label for order in supplier_orders),
            )  # fmt: skip
            result.purchase_orders.append(purchase_order)
            for order in supplier_orders:
                order.purchase_order = purchase_order
        for order in makes:
            order.work_order = work_order_create(
                item=order.item, quantity=order.quantity, due_date=order.due_date, user=user,
                note=f"From planned order {order.label}",
            )  # fmt: skip
            result.work_orders.append(order.work_order)
        now = timezone.now()
        for order in locked:
            previous = order.status
            order.status, order.converted_at = PlannedOrder.Status.CONVERTED, now
            order.save(update_fields=["status", "converted_at", "purchase_order", "work_order"])
            document = order.document
            audit_record(
                user=user, action="planning.planned_order_convert", obj=order,
                changes={"status": [previous, order.status], "document": [None, str(document)]},
            )  # fmt: skip
        result.planned_orders = locked
    return result
