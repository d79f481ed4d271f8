"""Server-rendered production pages: BOM tree and work orders (an operator screen).

Views read through selectors and write through forms that call services."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Count
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from access.permissions import capability_required, require_capability
from access.roles import Capability, has_capability
from core.tables import table_sort
from inventory.models import Item
from production import selectors
from production.forms import ACTION_FORMS, CostRollupForm, WorkOrderForm
from production.models import Bom, ProductionEvent, WorkOrder
from production.permissions import WORK_ORDER_ACTIONS
from production.selectors import ExplosionRow
from production.services import transition_blocker

PAGE_SIZE = 25
# Sortable columns (core.tables): ?sort=<key> ascending, ?sort=-<key> descending.
WORK_ORDER_SORTS = {
    "number": "number",
    "item": "item__sku",
    "quantity": "quantity",
    "due": "due_date",
    "state": "state",
}
BOM_SORTS = {"item": "item__sku", "version": "version", "active": "is_active", "lines": "line_count"}


@login_required
def work_order_list(request: HttpRequest) -> HttpResponse:
    state = request.GET.get("state", "")
    orders = selectors.work_order_list()
    if state in WorkOrder.State.values:
        orders = orders.filter(state=state)
    elif state != "all":
        state = "open"
        orders = orders.filter(state__in=WorkOrder.OPEN_STATES)
    table = table_sort(request, WORK_ORDER_SORTS, default="due", tiebreak=("number",))
    page = Paginator(table.apply(orders), PAGE_SIZE).get_page(request.GET.get("page"))
    states = [("open", "Open"), *WorkOrder.State.choices, ("all", "All")]
    context = {"page": page, "state": state, "states": states, **table.context()}
    return render(request, "production/work_order_list.html", context)


@capability_required(Capability.PLANNING)
def work_order_new(request: HttpRequest) -> HttpResponse:
    form = WorkOrderForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        work_order = form.submit(request.user)
        if work_order is not None:
            messages.success(request, f"{work_order.number} created as a draft.")
            return redirect("production:work-order-detail", pk=work_order.pk)
    return render(request, "production/form.html", {"form": form}, status=400 if form.errors else 200)


@login_required
def work_order_detail(request: HttpRequest, pk: int) -> HttpResponse:
    work_order = get_object_or_404(selectors.work_order_list(), pk=pk)
    actions = [
        {
            "name": name,
            "label": name.title(),
            "blocker": transition_blocker(work_order, name),
            "form": form_class(work_order=work_order, action=name),
        }
        for name, form_class in ACTION_FORMS.items()
        if has_capability(request.user, WORK_ORDER_ACTIONS[name])
    ]
    context = {
        "work_order": work_order,
        "components": selectors.work_order_components(work_order=work_order),
        "actions": actions,
        "events": ProductionEvent.objects.filter(work_order_id=work_order.pk).select_related("created_by")[:20],
    }
    return render(request, "production/work_order_detail.html", context)


@login_required
@require_POST
def work_order_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    form_class = ACTION_FORMS.get(action)
    if form_class is None:
        raise Http404("no such action")
    require_capability(request, WORK_ORDER_ACTIONS[action])
    work_order = get_object_or_404(WorkOrder, pk=pk)
    form = form_class(request.POST, work_order=work_order, action=action)
    if form.is_valid() and form.submit(request.user) is not None:
        messages.success(request, f"{work_order.number}: {action} done; it is now {work_order.get_state_display()}.")
    else:
        for errors in form.errors.values():
            messages.error(request, " ".join(errors))
    return redirect("production:work-order-detail", pk=work_order.pk)


@login_required
def bom_list(request: HttpRequest) -> HttpResponse:
    query = request.GET.get("q", "").strip()
    boms = selectors.bom_list().prefetch_related(None).annotate(line_count=Count("lines"))
    if query:
        boms = boms.filter(item__sku__icontains=query)
    table = table_sort(request, BOM_SORTS, default="item", tiebreak=("item__sku", "version"))
    page = Paginator(table.apply(boms), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "production/bom_list.html", {"page": page, "query": query, **table.context()})


@login_required
def bom_detail(request: HttpRequest, pk: int) -> HttpResponse:
    bom = get_object_or_404(selectors.bom_list(), pk=pk)
    return render(request, "production/bom_detail.html", {"bom": bom})


@dataclass
class TreeNode:
    row: ExplosionRow
    children: list[TreeNode] = field(default_factory=list)


def _nest(rows: list[ExplosionRow]) -> list[TreeNode]:
    """Depth-first rows (each followed by its descendants) as nested nodes for <details> in the template."""
    roots: list[TreeNode] = []
    stack: list[TreeNode] = []
    for row in rows:
        node = TreeNode(row)
        del stack[row.depth - 1 :]
        (stack[-1].children if stack else roots).append(node)
        stack.append(node)
    return roots


@login_required
def bom_tree(request: HttpRequest, item_id: int) -> HttpResponse:
    item = get_object_or_404(Item.objects.select_related("uom"), pk=item_id)
    try:
        quantity = Decimal(request.GET.get("quantity", "1"))
    except InvalidOperation:
        quantity = Decimal(1)
    if not quantity.is_finite() or quantity <= 0:
        quantity = Decimal(1)
    explosion = selectors.bom_explosion(item=item, quantity=quantity)
    context = {
        "item": item,
        "quantity": quantity,
        "explosion": explosion,
        "nodes": _nest(explosion.rows),
        "where_used": selectors.where_used(item=item),
        "boms": Bom.objects.filter(item=item).order_by("-is_active", "version"),
    }
    return render(request, "production/bom_tree.html", context)


@login_required
def cost_rollup_list(request: HttpRequest) -> HttpResponse:
    """The roll-up runs, newest first, and (with master-data rights) the form that runs one."""
    can_run = has_capability(request.user, Capability.MASTER_DATA)
    form = CostRollupForm(request.POST or None) if can_run else None
    if request.method == "POST":
        require_capability(request, Capability.MASTER_DATA)
        if form is not None and form.is_valid():
            rollup = form.submit(request.user)
            if rollup is not None:
                changed = f"{rollup.changed_count} of {rollup.item_count} standard costs changed"
                messages.success(request, f"Roll-up #{rollup.pk}: {changed}.")
                return redirect("production:cost-rollup-detail", pk=rollup.pk)
    page = Paginator(selectors.cost_rollup_list(), PAGE_SIZE).get_page(request.GET.get("page"))
    status = 400 if form is not None and form.errors else 200
    return render(request, "production/cost_rollup_list.html", {"page": page, "form": form}, status=status)


@login_required
def cost_rollup_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """One run: each item's cost per unit by level (bottom first), its material, labour and overhead, old and new."""
    rollup = get_object_or_404(selectors.cost_rollup_list(), pk=pk)
    lines = list(selectors.cost_rollup_lines(rollup=rollup))
    return render(request, "production/cost_rollup_detail.html", {"rollup": rollup, "lines": lines})
