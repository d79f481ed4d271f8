"""Un-complete: a done (or partly completed) work order taken back to in progress, its output and consumption
reversed and its components reserved again, in one transaction (the work order's own undo: inventory refuses to
reverse its moves bare). Lock order as for the other transitions: the work order, its components, the level rows in
primary-key order, then the valuation rows."""

from __future__ import annotations

from decimal import Decimal

from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.db.models import F

from audit.services import changes_since, snapshot
from core.retry import retry_on_conflict
from inventory.models import StockMove
from inventory.services import InsufficientStock, stock_move_reverse, stock_reserve, valuation_lock
from production.models import ProductionEvent, WorkOrder, WorkOrderComponent
from production.services._shared import _WO_AUDITED, User, _audit
from production.services.errors import ProductionError
from production.services.work_orders import guard_transition, lock_component_levels, lock_work_order, released_location

State = WorkOrder.State


@retry_on_conflict
def work_order_uncomplete(*, work_order: WorkOrder, user: User) -> WorkOrder:
    """Undo every completion of a done (or partly completed) work order: its output moves and its consumption moves
    are reversed, the consumed components are reserved for it again and it is back in progress with nothing
    completed, all in one transaction. Refused when the output is no longer there (consumed, shipped, moved)."""
    with transaction.atomic():
        fresh = lock_work_order(work_order)
        guard_transition(fresh, "uncomplete")
        before = snapshot(fresh, _WO_AUDITED)
        location = released_location(fresh)
        components = list(fresh.components.select_for_update(of=("self",)).select_related("item").order_by("item_id"))
        moves = list(
            StockMove.objects.filter(
                source_type=ContentType.objects.get_for_model(WorkOrder),
                source_id=fresh.pk,
                reverses__isnull=True,
                reversed_by__isnull=True,
                reason__in=[StockMove.Reason.PRODUCTION_OUTPUT, StockMove.Reason.PRODUCTION_CONSUMPTION],
            )
            .select_related("item", "from_location", "to_location")
            .order_by("item_id", "pk")
        )
        lock_component_levels(location, {move.item_id for move in moves})
        valuation_lock(move.item_id for move in moves)
        for move in moves:
            try:
                stock_move_reverse(move=move, user=user, reference=f"{fresh.number} un-completed", undo_of=fresh)
            except InsufficientStock as exc:
                raise ProductionError(
                    f"cannot uncomplete {fresh.number}: its output is no longer all there ({exc.message}); "
                    "bring it back first",
                    field="state",
                ) from None
        for component in components:
            if component.consumed_quantity > 0:
                stock_reserve(
                    item=component.item, location=location, quantity=component.consumed_quantity, user=user,
                    reference=f"{fresh.number} un-completed",
                )  # fmt: skip
                WorkOrderComponent.objects.filter(pk=component.pk).update(
                    reserved_quantity=F("reserved_quantity") + F("consumed_quantity"), consumed_quantity=0
                )
        made = fresh.completed_quantity
        fresh.state, fresh.completed_quantity, fresh.finished_at = State.IN_PROGRESS, Decimal(0), None
        # Every move was reversed at the cost it was posted at: the order has cost nothing so far.
        fresh.material_cost = fresh.labour_cost = fresh.overhead_cost = fresh.standard_cost = Decimal(0)
        fresh.save(
            update_fields=[
                "state", "completed_quantity", "finished_at", "updated_at",
                "material_cost", "labour_cost", "overhead_cost", "standard_cost",
            ]
        )  # fmt: skip
        _audit(
            ProductionEvent.Action.WO_UNCOMPLETED,
            user,
            work_order=fresh,
            changes=changes_since(fresh, before),
            quantity=made,
            moves_reversed=len(moves),
        )
    work_order.refresh_from_db()
    return fresh
