"""The time-phased netting itself: `plan` is a pure function of the loaded data (every item once, at its lowest
level: gross requirements, scheduled receipts, projected on hand, net requirements, lot sizing, lead-time offset,
pegging and exception messages)."""

from __future__ import annotations

from bisect import bisect_right
from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_CEILING, ROUND_UP, Decimal

from inventory.models import Item
from planning.engine.data import PLACES, SAFETY_STOCK, ZERO, ItemData, PlanningData, days_before
from planning.engine.results import (
    Bucket,
    ItemPlan,
    MrpException,
    MrpPlan,
    PegLine,
    PlannedOrder,
    ScheduledReceipt,
)


def _up(value: Decimal) -> Decimal:
    return value.quantize(PLACES, rounding=ROUND_UP)


def _ceiling(value: Decimal) -> Decimal:
    return value.to_integral_value(rounding=ROUND_CEILING)


# --- The plan -------------------------------------------------------------------------------------------------------
@dataclass(slots=True)
class _Demand:
    day: date
    quantity: Decimal
    label: str
    planned_order: int | None
    top: list[str]


def lot_size(item: ItemData, net: Decimal, window: Decimal = ZERO) -> Decimal:
    """The order quantity for a net requirement `net` under the item's lot-sizing rule, and at least the item's
    order minimum. `window` is the net requirement of the item's periods of supply (periods rule only)."""
    quantity = _lot_rule(item, net, window)
    return quantity if quantity >= item.order_minimum else _up(item.order_minimum)


def _lot_rule(item: ItemData, net: Decimal, window: Decimal) -> Decimal:
    rule = item.lot_sizing
    if rule == Item.LotSizing.FIXED and item.lot_quantity > 0:
        return _up(max(_ceiling(net / item.lot_quantity), Decimal(1)) * item.lot_quantity)  # whole lots, at least one
    if rule == Item.LotSizing.MIN_MULTIPLE:
        quantity = max(net, item.lot_minimum)
        if item.lot_multiple > 0:
            quantity = _ceiling(quantity / item.lot_multiple) * item.lot_multiple
        return _up(quantity)
    if rule == Item.LotSizing.PERIODS:
        return _up(max(net, window))
    return _up(net)


def _planning_order(relevant: set[int], data: PlanningData) -> list[int]:
    """`relevant` items by low-level code (stored on the item); a stale code (a component not below a parent) falls
    back to codes computed from the loaded BOMs, so netting never runs before all of an item's demand is known."""
    code = {pk: data.items[pk].low_level_code for pk in relevant}
    stale = any(
        code.get(child, 1 << 30) <= code[parent]
        for parent in relevant
        if data.items[parent].procurement == Item.Procurement.MAKE
        for child, _ in data.children.get(parent, ())
        if child in code
    )
    if stale:
        code = _low_level_codes(relevant, data.children)
    return sorted(relevant, key=lambda pk: (code[pk], pk))


def _low_level_codes(nodes: set[int], children: dict[int, list[tuple[int, Decimal]]]) -> dict[int, int]:
    """The deepest level of each node in the BOM graph restricted to `nodes` (Kahn's order; a cycle: last level)."""
    indegree = dict.fromkeys(nodes, 0)
    for parent in nodes:
        for child, _ in children.get(parent, ()):
            if child in indegree:
                indegree[child] += 1
    level = dict.fromkeys(nodes, 0)
    queue = [pk for pk, degree in indegree.items() if degree == 0]
    while queue:
        pk = queue.pop()
        for child, _ in children.get(pk, ()):
            if child in indegree:
                level[child] = max(level[child], level[pk] + 1)
                indegree[child] -= 1
                if indegree[child] == 0:
                    queue.append(child)
    deepest = max(level.values(), default=0) + 1
    for pk, degree in indegree.items():
        if degree > 0:
            level[pk] = deepest
    return level


def plan(data: PlanningData, *, today: date, horizon_days: int | None = None) -> MrpPlan:
    """The time-phased plan. Demand due before today counts today; with `horizon_days`, demand and receipts due after
    the horizon are left out of the netting (a receipt beyond it can still be rescheduled in)."""
    end = days_before(today, -(horizon_days - 1)) if horizon_days else date.max
    demands: dict[int, list[_Demand]] = defaultdict(list)
    receipts: dict[int, list[ScheduledReceipt]] = defaultdict(list)
    made: dict[tuple[str, int], ScheduledReceipt] = {}
    for supplied in data.supply:
        if supplied.quantity <= 0 or supplied.item_id not in data.items:
            continue
        due = supplied.date or today
        receipt = ScheduledReceipt(
            supplied.item_id, data.items[supplied.item_id].sku, supplied.peg.document, supplied.peg.label,
            Decimal(supplied.quantity), due, due <= end,
        )  # fmt: skip
        receipts[supplied.item_id].append(receipt)
        if supplied.peg.document_id is not None:
            made[(supplied.peg.document, supplied.peg.document_id)] = receipt
    waiting: list[tuple[_Demand, ScheduledReceipt]] = []  # a work order's components serve what its output serves
    for line in data.demand:
        if line.quantity <= 0 or line.date > end or line.item_id not in data.items:
            continue
        need = _Demand(max(line.date, today), Decimal(line.quantity), line.peg.label, None, [line.peg.label])
        demands[line.item_id].append(need)
        parent = made.get((line.peg.document, line.peg.document_id)) if line.peg.document_id is not None else None
        if parent is not None:
            waiting.append((need, parent))

    relevant: set[int] = set(demands) | set(receipts)
    relevant |= {pk for pk, item in data.items.items() if item.safety_stock > 0}
    stack = [pk for pk in relevant if data.items[pk].procurement == Item.Procurement.MAKE]
    while stack:
        for child, _ in data.children.get(stack.pop(), ()):
            if child not in relevant and child in data.items:
                relevant.add(child)
                if data.items[child].procurement == Item.Procurement.MAKE:
                    stack.append(child)

    result = MrpPlan(today, horizon_days, [], [], [], [])
    components_of: dict[int, list[tuple[_Demand, ScheduledReceipt]]] = defaultdict(list)
    for need, receipt in waiting:
        components_of[receipt.item_id].append((need, receipt))
    for pk in _planning_order(relevant, data):
        item = data.items[pk]
        item_plan, orders = _plan_item(item, data, demands.get(pk, []), receipts.get(pk, []), today, end, result)
        result.items.append(item_plan)
        for need, receipt in components_of.pop(pk, ()):  # planned before its components: its pegs are known
            need.top = sorted({top for peg in receipt.pegs for top in peg.top}) or need.top
        if item.procurement != Item.Procurement.MAKE:
            continue
        for order in orders:
            top = order.pegs[0].top if len(order.pegs) == 1 else sorted({t for peg in order.pegs for t in peg.top})
            day, label = max(order.release, today), f"{item.sku} planned order {order.number}"
            for child, factor in data.children.get(pk, ()):
                if child in data.items:
                    demands[child].append(_Demand(day, _up(order.quantity * factor), label, order.number, top))
    return result


def _plan_item(
    item: ItemData,
    data: PlanningData,
    needs: list[_Demand],
    receipts: list[ScheduledReceipt],
    today: date,
    end: date,
    result: MrpPlan,
) -> tuple[ItemPlan, list[PlannedOrder]]:
    needs.sort(key=lambda need: need.day)
    receipts.sort(key=lambda receipt: (receipt.due, receipt.label))
    gross: dict[date, Decimal] = defaultdict(Decimal)
    for need in needs:
        gross[need.day] += need.quantity
    scheduled: dict[date, Decimal] = defaultdict(Decimal)
    for receipt in receipts:
        if receipt.in_horizon:
            scheduled[max(receipt.due, today)] += receipt.quantity
    free = Decimal(data.on_hand.get(item.pk) or 0)
    safety = item.safety_stock
    days = sorted({today, *gross, *scheduled})
    buckets: dict[date, Bucket] = {}
    orders: list[PlannedOrder] = []
    on_hand = free
    for index, day in enumerate(days):
        on_hand += scheduled.get(day, ZERO) - gross.get(day, ZERO)
        bucket = buckets[day] = Bucket(day, gross.get(day, ZERO), scheduled.get(day, ZERO))
        if on_hand < safety:
            net = _up(safety - on_hand)
            window = ZERO
            if item.lot_sizing == Item.LotSizing.PERIODS and item.lot_period_days > 1:
                last, ahead = days_before(day, -(item.lot_period_days - 1)), on_hand
                for later in days[index + 1 :]:
                    if later > last:
                        break
                    ahead += scheduled.get(later, ZERO) - gross.get(later, ZERO)
                window = safety - ahead
            quantity = lot_size(item, net, window)
            release = days_before(day, item.lead_time_days)
            number = len(result.planned_orders) + 1
            order = PlannedOrder(number, item.pk, item.sku, item.procurement, quantity, net, release, day)
            orders.append(order)
            result.planned_orders.append(order)
            bucket.net, bucket.planned_receipts = net, quantity
            on_hand += quantity
            if release < today:
                result.exceptions.append(
                    MrpException(
                        "expedite", item.pk, item.sku, f"planned order {number}", quantity, release, None,
                        f"{item.sku}: {quantity.normalize():f} needed {day}; with {item.lead_time_days} days of lead "
                        f"time it should have been {'started' if item.procurement == 'make' else 'ordered'} {release}",
                    )
                )  # fmt: skip
        bucket.on_hand = on_hand
    for order in orders:
        release_day = max(order.release, today)
        released = buckets.get(release_day)
        if released is None:
            released = buckets[release_day] = Bucket(release_day)
        released.planned_releases += order.quantity
    ordered = sorted(buckets.values(), key=lambda bucket: bucket.day)
    carried = free
    for bucket in ordered:  # a release-only day carries the on hand of the day before
        if bucket.day in gross or bucket.day in scheduled or bucket.day == today:
            carried = bucket.on_hand
        else:
            bucket.on_hand = carried
    _peg(item, needs, free, receipts, orders, today)
    _reschedule(item, needs, free, receipts, today, end, result)
    result.receipts.extend(receipts)
    plan = ItemPlan(
        item.pk, item.sku, item.name, item.uom, item.procurement, item.lead_time_days, item.low_level_code,
        item.lot_sizing, safety, free, ordered, sorted({need.label for need in needs}),
    )  # fmt: skip
    return plan, orders


def _peg(
    item: ItemData,
    needs: list[_Demand],
    free: Decimal,
    receipts: list[ScheduledReceipt],
    orders: list[PlannedOrder],
    today: date,
) -> None:
    """Each demand, by date (safety stock first), takes the earliest supply: stock, then receipts and planned orders
    by due date. Netting made sure the supply due by a demand's date covers it, so first-in first-out never pegs a
    demand to supply that comes after it."""
    supplies: list[tuple[date, Decimal, list[PegLine] | None]] = [(today, max(free, ZERO), None)]
    supplies += [(max(r.due, today), r.quantity, r.pegs) for r in receipts if r.in_horizon]
    supplies += [(order.due, order.quantity, order.pegs) for order in orders]
    supplies.sort(key=_first)  # stable: stock first on today
    queue = []
    if free < 0:
        queue.append(_Demand(today, -free, "stock below zero", None, ["stock below zero"]))
    if item.safety_stock > 0:
        queue.append(_Demand(today, item.safety_stock, SAFETY_STOCK, None, [SAFETY_STOCK]))
    queue += needs
    supply = iter(supplies)
    _, left, pegs = next(supply)
    try:
        for need in queue:
            wanted = need.quantity
            while wanted > 0:
                while left <= 0:
                    _, left, pegs = next(supply)
                taken = left if left < wanted else wanted
                if pegs is not None:
                    pegs.append(PegLine(taken, need.day, need.label, need.planned_order, need.top))
                left -= taken
                wanted -= taken
    except StopIteration:  # more demand than supply: only past the horizon's end, where nothing is planned
        pass


def _first(row: tuple[date, Decimal, list[PegLine] | None]) -> date:
    return row[0]


def _reschedule(
    item: ItemData,
    needs: list[_Demand],
    free: Decimal,
    receipts: list[ScheduledReceipt],
    today: date,
    end: date,
    result: MrpPlan,
) -> None:
    """For each open order, in due order: the day its quantity is first needed, after stock and the orders due
    before it. Needed earlier than due: reschedule in; later: reschedule out; never within the horizon: cancel."""
    days: list[date] = []
    cumulative: list[Decimal] = []
    total = item.safety_stock
    for need in needs:  # sorted by day
        total += need.quantity
        if days and days[-1] == need.day:
            cumulative[-1] = total
        else:
            days.append(need.day)
            cumulative.append(total)
    covered = free
    if item.safety_stock > 0 and (not days or days[0] > today):
        days.insert(0, today)
        cumulative.insert(0, item.safety_stock)
    for receipt in receipts:
        # the first day at which demand exceeds what comes before this receipt
        index = bisect_right(cumulative, covered)
        covered += receipt.quantity
        due = max(receipt.due, today)
        if index >= len(days):
            if receipt.in_horizon:
                message = (
                    f"{receipt.label}: {receipt.quantity.normalize():f} {item.sku} due {receipt.due} is not needed"
                )
                if end != date.max:
                    message += f" within the horizon (to {end})"
                result.exceptions.append(
                    MrpException("cancel", item.pk, item.sku, receipt.label, receipt.quantity, receipt.due, None,
                                 message + ": cancel it")
                )  # fmt: skip
            continue
        needed = days[index]
        if needed < due:
            kind, verb = "reschedule_in", "in"
        elif needed > due:
            kind, verb = "reschedule_out", "out"
        else:
            continue
        result.exceptions.append(
            MrpException(
                kind, item.pk, item.sku, receipt.label, receipt.quantity, receipt.due, needed,
                f"{receipt.label}: {item.sku} due {receipt.due} is needed {needed}: reschedule {verb} to {needed}",
            )
        )  # fmt: skip
