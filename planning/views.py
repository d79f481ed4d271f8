"""Server-rendered planning pages: MRP runs (start one, follow it, read its time-phased plan and messages)."""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from access.permissions import capability_required, require_capability
from access.roles import Capability
from core.pages import service_form_page
from erp.celery import job_lacks_worker
from planning.forms import MrpRunForm, PlannedOrderForm, PlannedOrderSelectionForm
from planning.models import MrpRun, PlannedOrder
from planning.runs import BUCKET_FIELDS
from planning.services import Conversion

PAGE_SIZE = 25
GRID_ITEMS_PER_PAGE = 20
ROWS = [
    ("gross", "Gross requirements"),
    ("receipts", "Scheduled receipts"),
    ("on_hand", "Projected on hand"),
    ("net", "Net requirements"),
    ("planned_receipts", "Planned order receipts"),
    ("planned_releases", "Planned order releases"),
]


def _weekly(buckets: list[dict]) -> list[dict]:
    """Daily buckets summed per week (Monday's date); the projected on hand is the week's last."""
    weeks: dict[str, dict] = {}
    for bucket in buckets:
        day = datetime.date.fromisoformat(bucket["day"])
        monday = (day - datetime.timedelta(days=day.weekday())).isoformat() if day.toordinal() > 7 else bucket["day"]
        week = weeks.setdefault(monday, {"day": monday, **{name: Decimal(0) for name, _ in ROWS}})
        for name, _ in ROWS:
            value = Decimal(bucket[name])
            week[name] = value if name == "on_hand" else week[name] + value
    return list(weeks.values())


def grid_page(run: MrpRun, *, view: str, page: str | None) -> tuple[object, list[dict]]:
    """A page of the run's items, each with its columns (the days, or weeks, with activity) and one row per bucket
    type, ready for the template."""
    items = Paginator(run.grid, GRID_ITEMS_PER_PAGE).get_page(page)
    orders: dict[int, list[PlannedOrder]] = {}
    for order in PlannedOrder.objects.filter(run=run, item_id__in=[item["item_id"] for item in items.object_list]):
        orders.setdefault(order.item_id, []).append(order)
    tables = []
    for item in items.object_list:
        buckets = [dict(zip(BUCKET_FIELDS, values, strict=True)) for values in item["buckets"]]
        if view == "week":
            buckets = _weekly(buckets)
        rows = [(label, [bucket[name] for bucket in buckets]) for name, label in ROWS]
        planned = [
            {"order": order, "for": sorted({top for peg in order.pegs for top in peg["top"]})}
            for order in orders.get(item["item_id"], [])
        ]
        tables.append({**item, "columns": [bucket["day"] for bucket in buckets], "rows": rows, "planned": planned})
    return items, tables


@login_required
def mrp_runs(request: HttpRequest) -> HttpResponse:
    """Start an MRP run (a Celery task) and list the past ones, each linking to its progress and result."""
    form = MrpRunForm(request.POST or None)
    if request.method == "POST":
        require_capability(request, Capability.PLANNING)
    if request.method == "POST" and form.is_valid():
        run = form.submit(request.user)
        if run is not None:
            return redirect("planning:mrp-run-detail", pk=run.pk)
    runs = MrpRun.objects.defer("lines", "grid", "exceptions", "receipts", "inputs", "comparison").select_related(
        "created_by"
    )
    page = Paginator(runs, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "planning/mrp_runs.html", {"form": form, "page": page}, status=400 if form.errors else 200)


@login_required
def mrp_run_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """A run's progress, then its result: the exception messages, a line per item short, and the time-phased grid
    (per item a row per bucket type; columns are the days, or weeks with `?view=week`, that have activity)."""
    run = get_object_or_404(MrpRun.objects.select_related("created_by"), pk=pk)
    view = "week" if request.GET.get("view") == "week" else "day"
    items, tables = grid_page(run, view=view, page=request.GET.get("page"))
    planned = PlannedOrder.objects.filter(run=run).select_related("item__uom", "purchase_order", "work_order")
    firm = PlannedOrder.objects.filter(status=PlannedOrder.Status.FIRM).exclude(run=run)
    context = {
        "run": run, "no_worker": job_lacks_worker(run), "view": view, "items": items, "tables": tables,
        "planned_orders": list(planned.order_by("number")),
        "firm_orders": list(firm.select_related("item__uom").order_by("due_date", "pk")),
        "selection": PlannedOrderSelectionForm(),
    }  # fmt: skip
    response = render(request, "planning/mrp_run_detail.html", context)
    if not run.is_finished:
        response["Refresh"] = "2"  # the browser reloads the page until the run is done
    return response


def _acted(result: object) -> str:
    if isinstance(result, Conversion):
        made = [order.number for order in result.purchase_orders] + [order.number for order in result.work_orders]
        return f"Converted {len(result.planned_orders)} planned order(s) into {', '.join(made)} (drafts)."
    return f"Firmed {len(result)} planned order(s): later runs keep them."  # type: ignore[arg-type]


@require_POST
@capability_required(Capability.PLANNING)
def planned_orders_act(request: HttpRequest, pk: int) -> HttpResponse:
    """Firm or convert the planned orders ticked on run `pk`'s page; back to the page with what was done, or why not."""
    run = get_object_or_404(MrpRun.objects.only("pk"), pk=pk)
    form = PlannedOrderSelectionForm(request.POST)
    result = form.submit(request.user) if form.is_valid() else None  # type: ignore[arg-type]
    if result is not None and not form.errors:
        messages.success(request, _acted(result))
    else:
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
    return redirect(reverse("planning:mrp-run-detail", args=[run.pk]) + "#planned-orders")


@capability_required(Capability.PLANNING)
def planned_order_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """Change a planned order's quantity or dates; saving firms it."""
    order = get_object_or_404(PlannedOrder.objects.select_related("item"), pk=pk)
    form = PlannedOrderForm(request.POST or None, instance=order)
    back = reverse("planning:mrp-run-detail", args=[order.run_id]) if order.run_id else reverse("planning:mrp-runs")

    def done(saved: object) -> tuple[str, str]:
        return f"Saved {order.label}; it is firm: later runs keep it.", back + "#planned-orders"

    return service_form_page(
        request, form, template="planning/planned_order_form.html", done=done, context={"cancel_url": back}
    )
