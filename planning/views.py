"""Server-rendered planning pages: MRP runs (start one, follow it, read its time-phased plan and messages)."""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render

from access.permissions import require_capability
from access.roles import Capability
from erp.celery import job_lacks_worker
from planning.forms import MrpRunForm
from planning.models import MrpRun, PlannedOrder
from planning.runs import BUCKET_FIELDS

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
    runs = MrpRun.objects.defer("lines", "grid", "exceptions", "receipts").select_related("created_by")
    page = Paginator(runs, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "planning/mrp_runs.html", {"form": form, "page": page}, status=400 if form.errors else 200)


@login_required
def mrp_run_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """A run's progress, then its result: the exception messages, a line per item short, and the time-phased grid
    (per item a row per bucket type; columns are the days, or weeks with `?view=week`, that have activity)."""
    run = get_object_or_404(MrpRun.objects.select_related("created_by"), pk=pk)
    view = "week" if request.GET.get("view") == "week" else "day"
    items, tables = grid_page(run, view=view, page=request.GET.get("page"))
    context = {"run": run, "no_worker": job_lacks_worker(run), "view": view, "items": items, "tables": tables}
    response = render(request, "planning/mrp_run_detail.html", context)
    if not run.is_finished:
        response["Refresh"] = "2"  # the browser reloads the page until the run is done
    return response
