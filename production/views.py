"""Server-rendered production pages: BOM tree and work orders (an operator screen).

Views read through selectors and write through forms that call services."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Count
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from access.permissions import capability_required, require_capability
from access.roles import Capability, has_capability
from core.errors import DomainError
from core.line_editor import line_editor_page, shown
from core.numbers import parse_quantity
from core.pages import service_form_page
from core.tables import table_sort
from inventory.models import Item
from production import selectors, services
from production.forms import (
    ACTION_FORMS,
    BomForm,
    BomLineForm,
    CostRollupForm,
    TransitionForm,
    WorkOrderEditForm,
    WorkOrderForm,
)
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
def work_order_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """A draft's quantity, due date and note; a released one is cancelled and made again instead."""
    require_capability(request, WORK_ORDER_ACTIONS["update"])
    work_order = get_object_or_404(WorkOrder.objects.select_related("item"), pk=pk)
    blocker = transition_blocker(work_order, "edit")
    if blocker is not None:
        messages.error(request, blocker[:1].upper() + blocker[1:] + ".")
        return redirect("production:work-order-detail", pk=work_order.pk)
    form = WorkOrderEditForm(request.POST or None, work_order=work_order)

    def done(saved: object) -> tuple[str, str]:
        return f"{work_order.number} saved.", reverse("production:work-order-detail", args=[work_order.pk])

    return service_form_page(request, form, template="production/form.html", done=done)


def _work_order_page(request: HttpRequest, work_order: WorkOrder, bound: TransitionForm | None = None) -> HttpResponse:
    """The work order's page; `bound` is an action's form that was refused, shown with its errors by its fields and
    what was typed (status 400), in place of that action's empty form."""
    actions = [
        {
            "name": name,
            "label": name.title(),
            "blocker": transition_blocker(work_order, name),
            "form": bound
            if bound is not None and bound.action == name
            else form_class(work_order=work_order, action=name),
        }
        for name, form_class in ACTION_FORMS.items()
        if has_capability(request.user, WORK_ORDER_ACTIONS[name])
    ]
    context = {
        "work_order": work_order,
        "components": selectors.work_order_components(work_order=work_order),
        "actions": actions,
        "can_edit": work_order.state == WorkOrder.State.DRAFT
        and has_capability(request.user, WORK_ORDER_ACTIONS["update"]),
        "events": ProductionEvent.objects.filter(work_order_id=work_order.pk).select_related("created_by")[:20],
    }
    return render(request, "production/work_order_detail.html", context, status=200 if bound is None else 400)


@login_required
def work_order_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _work_order_page(request, get_object_or_404(selectors.work_order_list(), pk=pk))


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
        return redirect("production:work-order-detail", pk=work_order.pk)
    # Refused: the page again with the message by the field and the typed value kept (not a banner and a reset).
    return _work_order_page(request, get_object_or_404(selectors.work_order_list(), pk=pk), bound=form)


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
    typed = request.GET.get("quantity", "1").strip() or "1"
    quantity_error = ""
    try:
        quantity = parse_quantity(typed)
    except DomainError as exc:  # "2,5", letters, 0: say so by the box and explode 1
        quantity, quantity_error = Decimal(1), exc.message.removeprefix("quantity ")
    explosion = selectors.bom_explosion(item=item, quantity=quantity)
    context = {
        "item": item,
        "quantity": quantity,
        "typed_quantity": typed if quantity_error else None,
        "quantity_error": quantity_error,
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


# --- Authoring: BOMs -------------------------------------------------------------------------------------------------
def _bom_done(bom: object) -> tuple[str, str]:
    assert isinstance(bom, Bom)
    state = "active" if bom.is_active else "inactive"
    url = reverse("production:bom-detail", args=[bom.pk])
    return f"Saved BOM of {bom.item.sku} version {bom.version} ({state}).", url


def _bom_lines(bom: Bom) -> list[dict]:
    return [{name: shown(getattr(line, name)) for name in BomLineForm.LINE_FIELDS} for line in bom.lines.all()]


@capability_required(Capability.MASTER_DATA)
def bom_new(request: HttpRequest) -> HttpResponse:
    """A new BOM; `?copy=<id>` starts from another version's lines (inactive, for the next version label), `?item=<id>`
    from an item."""
    initial: dict[str, object] = {}
    initial_lines: list[dict] = []
    source_id = request.GET.get("copy", "")
    item_id = request.GET.get("item", "")
    if source_id.isdigit():
        source = get_object_or_404(selectors.bom_list(), pk=int(source_id))
        versions = Bom.objects.filter(item_id=source.item_id).values_list("version", flat=True)
        numbers = [int(version) for version in versions if version.isdigit()]
        next_version = str(max(numbers) + 1) if numbers else ""
        initial = {"item": source.item.sku, "version": next_version, "is_active": False, "note": source.note}
        initial_lines = _bom_lines(source)
    elif item_id.isdigit():
        item = get_object_or_404(Item.objects.only("sku"), pk=int(item_id))
        initial = {"item": item.sku, "version": "1", "is_active": True}
    return line_editor_page(
        request,
        form_class=BomForm,
        line_form=BomLineForm,
        template="production/bom_form.html",
        done=_bom_done,
        initial=initial,
        initial_lines=initial_lines,
        context={"cancel_url": reverse("production:bom-list")},
    )


@capability_required(Capability.MASTER_DATA)
def bom_edit(request: HttpRequest, pk: int) -> HttpResponse:
    bom = get_object_or_404(selectors.bom_list(), pk=pk)
    initial = {"version": bom.version, "is_active": bom.is_active, "note": bom.note}
    initial.update({name: shown(getattr(bom, name)) for name in BomForm.COST_FIELDS})
    return line_editor_page(
        request,
        form_class=BomForm,
        line_form=BomLineForm,
        template="production/bom_form.html",
        done=_bom_done,
        instance=bom,
        initial=initial,
        initial_lines=_bom_lines(bom),
        context={"cancel_url": reverse("production:bom-detail", args=[bom.pk])},
    )


@capability_required(Capability.MASTER_DATA)
@require_POST
def bom_activate(request: HttpRequest, pk: int) -> HttpResponse:
    """Make this version the one production uses (the item's other active version becomes inactive)."""
    bom = get_object_or_404(Bom.objects.select_related("item"), pk=pk)
    try:
        services.bom_update(bom=bom, user=request.user, is_active=True)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"Version {bom.version} of {bom.item.sku} is now the active BOM.")
    return redirect("production:bom-detail", pk=bom.pk)
