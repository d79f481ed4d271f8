"""The worker's side of an MRP run (called by `planning.tasks.run_mrp`): compute it, or record why it failed."""

from __future__ import annotations

import json
from dataclasses import asdict

from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.utils import timezone

from planning import engine
from planning.compare import compare
from planning.firm_orders import PLANNED_ORDER
from planning.models import MrpRun, PlannedOrder

BUCKET_FIELDS = ("day", "gross", "receipts", "on_hand", "net", "planned_receipts", "planned_releases")


def _number(value: object) -> str:
    return f"{value.normalize():f}" if hasattr(value, "normalize") else str(value)


def grid_of(plan: engine.MrpPlan) -> list[dict]:
    """The time-phased plan as JSON: per item its facts and its buckets, each a list in `BUCKET_FIELDS` order."""
    return [
        {
            "item_id": item.item_id,
            "sku": item.sku,
            "name": item.name,
            "uom": item.uom,
            "procurement": item.procurement,
            "lead_time_days": item.lead_time_days,
            "low_level_code": item.low_level_code,
            "lot_sizing": item.lot_sizing,
            "safety_stock": _number(item.safety_stock),
            "on_hand": _number(item.on_hand),
            "buckets": [
                [bucket.day.isoformat(), *(_number(getattr(bucket, name)) for name in BUCKET_FIELDS[1:])]
                for bucket in item.buckets
            ],
        }
        for item in plan.items
    ]


def pegs_of(pegs: list[engine.PegLine]) -> list[dict]:
    return [
        {
            "quantity": _number(peg.quantity),
            "date": peg.date.isoformat(),
            "demand": peg.demand,
            "planned_order": peg.planned_order,
            "top": peg.top,
        }
        for peg in pegs
    ]


def receipts_of(plan: engine.MrpPlan) -> list[dict]:
    return [
        {"item_id": receipt.item_id, "sku": receipt.sku, "label": receipt.label, "quantity": _number(receipt.quantity),
         "due": receipt.due.isoformat(), "in_horizon": receipt.in_horizon, "pegs": pegs_of(receipt.pegs)}
        for receipt in plan.receipts
    ]  # fmt: skip


def exceptions_of(plan: engine.MrpPlan) -> list[dict]:
    return [json.loads(json.dumps(asdict(exception), cls=DjangoJSONEncoder)) for exception in plan.exceptions]


def mrp_run_execute(*, run_id: int) -> MrpRun:
    """Compute a queued run with today's demand, stock and supply, and keep its time-phased plan, exception messages
    and planned orders (with their pegs), all written in one transaction.

    The run is marked running (committed, so its page says so) before the work starts; a redelivered task does not
    compute a finished run again, and one whose worker died mid-way starts over."""
    with transaction.atomic():
        run = MrpRun.objects.select_for_update().get(pk=run_id)
        if run.is_finished:
            return run
        run.status, run.started_at = MrpRun.Status.RUNNING, timezone.now()
        run.save(update_fields=["status", "started_at"])

    today = timezone.localdate()
    data = engine.load()
    plan = engine.mrp_plan(today=today, horizon_days=run.horizon_days, data=data)
    lines = engine.summary(plan)
    firm: list[int] = sorted(
        {pk for line in data.supply if line.peg.document == PLANNED_ORDER and (pk := line.peg.document_id) is not None}
    )
    with transaction.atomic():
        run.lines = [json.loads(json.dumps(asdict(line), cls=DjangoJSONEncoder)) for line in lines]
        run.line_count, run.late_count = len(lines), sum(1 for line in lines if line.late)
        run.planned_for, run.grid = today, grid_of(plan)
        run.exceptions, run.receipts = exceptions_of(plan), receipts_of(plan)
        run.exception_count = len(run.exceptions)
        run.status, run.finished_at = MrpRun.Status.DONE, timezone.now()
        PlannedOrder.objects.filter(run=run).delete()  # a worker that died mid-way may have left some
        PlannedOrder.objects.bulk_create(
            PlannedOrder(
                run=run,
                number=order.number,
                item_id=order.item_id,
                kind=order.kind,
                quantity=order.quantity,
                net_quantity=order.net,
                release_date=order.release,
                due_date=order.due,
                pegs=pegs_of(order.pegs),
            )
            for order in plan.planned_orders
        )
        run.inputs = {
            "today": today.isoformat(),
            "horizon_days": run.horizon_days,
            "demand_lines": len(data.demand),
            "supply_lines": len(data.supply),
            "items": len(plan.items),
            "firm_planned_orders": firm,
        }
        run.previous_run = (
            MrpRun.objects.filter(status=MrpRun.Status.DONE, created_at__lte=run.created_at)
            .exclude(pk=run.pk)
            .order_by("-created_at", "-id")
            .first()
        )
        current = list(
            (PlannedOrder.objects.filter(run=run) | PlannedOrder.objects.filter(pk__in=firm))
            .select_related("item")
            .order_by("pk")
        )
        run.comparison = compare(run.previous_run, current, run.exceptions)
        run.save(
            update_fields=[
                "lines",
                "line_count",
                "late_count",
                "planned_for",
                "grid",
                "exceptions",
                "receipts",
                "exception_count",
                "inputs",
                "previous_run",
                "comparison",
                "status",
                "finished_at",
            ]
        )
    return run


def mrp_run_fail(*, run_id: int, reason: str) -> MrpRun:
    """Record that a run could not be computed (its task gave up), so its page stops waiting and says why."""
    with transaction.atomic():
        run = MrpRun.objects.select_for_update().get(pk=run_id)
        if not run.is_finished:
            run.status, run.failure, run.finished_at = MrpRun.Status.FAILED, reason[:1000], timezone.now()
            run.save(update_fields=["status", "failure", "finished_at"])
    return run
