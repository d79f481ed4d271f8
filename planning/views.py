"""Server-rendered planning pages: MRP runs (start one, follow it, read its planned lines)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render

from access.permissions import require_capability
from access.roles import Capability
from erp.celery import job_lacks_worker
from planning.forms import MrpRunForm
from planning.models import MrpRun

PAGE_SIZE = 25


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
    runs = MrpRun.objects.defer("lines").select_related("created_by")
    page = Paginator(runs, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "planning/mrp_runs.html", {"form": form, "page": page}, status=400 if form.errors else 200)


@login_required
def mrp_run_detail(request: HttpRequest, pk: int) -> HttpResponse:
    run = get_object_or_404(MrpRun.objects.select_related("created_by"), pk=pk)
    response = render(request, "planning/mrp_run_detail.html", {"run": run, "no_worker": job_lacks_worker(run)})
    if not run.is_finished:
        response["Refresh"] = "2"  # the browser reloads the page until the run is done
    return response
