"""A run against the one before it: per item the planned quantity before and after, the planned orders that are new
or gone, and the exception messages that appeared or went away.

What a run plans is its own planned orders plus the firm planned orders it kept. Firm (and converted) orders are
matched by their id, which they keep across runs; an unfirmed planned order has no identity beyond its run, so it
matches one of the other run by item, kind, due date and quantity (the same proposal made again)."""

from __future__ import annotations

from collections import Counter
from decimal import Decimal

from planning.models import MrpRun, PlannedOrder


def _key(order: PlannedOrder) -> tuple:
    if order.status != PlannedOrder.Status.PLANNED:
        return ("id", order.pk)
    return (order.item_id, order.kind, order.due_date, order.quantity)


def _row(order: PlannedOrder) -> dict:
    return {"id": order.pk, "label": order.label, "item_id": order.item_id, "sku": order.item.sku,
            "kind": order.kind, "status": order.status, "quantity": f"{order.quantity.normalize():f}",
            "due_date": order.due_date.isoformat()}  # fmt: skip


def planned_set(run: MrpRun) -> list[PlannedOrder]:
    """The run's own planned orders and the firm ones it kept (`inputs["firm_planned_orders"]`), as they are now."""
    kept = run.inputs.get("firm_planned_orders", []) if isinstance(run.inputs, dict) else []
    own = PlannedOrder.objects.filter(run=run) | PlannedOrder.objects.filter(pk__in=kept)
    return list(own.select_related("item").order_by("pk"))


def compare(previous: MrpRun | None, current: list[PlannedOrder], exceptions: list[dict]) -> dict:
    """The comparison of a run's planned set and exception messages with `previous` (None: the first run)."""
    if previous is None:
        return {}
    before = planned_set(previous)
    left = Counter(_key(order) for order in current)
    right = Counter(_key(order) for order in before)
    new, gone = [], []
    for order in current:
        if right[_key(order)] > 0:
            right[_key(order)] -= 1
        else:
            new.append(_row(order))
    for order in before:
        if left[_key(order)] > 0:
            left[_key(order)] -= 1
        else:
            gone.append(_row(order))
    totals: dict[int, dict] = {}
    for side, orders in (("before", before), ("after", current)):
        for order in orders:
            entry = totals.setdefault(
                order.item_id,
                {"item_id": order.item_id, "sku": order.item.sku, "before": Decimal(0), "after": Decimal(0)},
            )
            entry[side] += order.quantity
    items = [
        {**entry, "before": f"{entry['before'].normalize():f}", "after": f"{entry['after'].normalize():f}",
         "change": f"{(entry['after'] - entry['before']).normalize():f}"}
        for entry in sorted(totals.values(), key=lambda entry: entry["sku"])
    ]  # fmt: skip
    was = [exception["message"] for exception in previous.exceptions]
    now = [exception["message"] for exception in exceptions]
    return {
        "previous_run": previous.pk,
        "items": items,
        "new_planned_orders": new,
        "removed_planned_orders": gone,
        "exceptions_added": [message for message in now if message not in was],
        "exceptions_gone": [message for message in was if message not in now],
    }
