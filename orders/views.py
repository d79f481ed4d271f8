"""Server-rendered orders pages. Views read through selectors and write through forms that call services."""

from __future__ import annotations

from collections.abc import Callable

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Count, DecimalField, ExpressionWrapper, F, Prefetch, QuerySet, Sum
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from access.permissions import require_capability
from access.roles import Capability, has_capability
from erp.errors import DomainError
from erp.tables import table_sort
from orders import selectors, services
from orders.forms import OrderListFilter, ReceiveForm, ShipForm
from orders.models import Partner, PurchaseOrder, PurchaseOrderLine, SalesOrder, SalesOrderLine
from orders.permissions import ORDER_ACTIONS

PAGE_SIZE = 25
_VALUE = DecimalField(max_digits=36, decimal_places=8)
# Sortable columns of the order lists: ?sort=<key> ascending, ?sort=-<key> descending (default: newest first).
_ORDER_SORTS = {"number": "id", "status": "status", "value": "total", "created": "created_at"}


@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    board = selectors.dashboard()
    context = {
        "board": board,
        "sales_rows": [(label, board.sales_counts[value], value) for value, label in SalesOrder.Status.choices],
        "purchase_rows": [
            (label, board.purchase_counts[value], value) for value, label in PurchaseOrder.Status.choices
        ],
    }
    return render(request, "orders/dashboard.html", context)


def _order_list(
    request: HttpRequest, *, model, partner_field: str, partners: QuerySet, late_ids, price: str, detail_url: str
) -> HttpResponse:
    """The sales or purchase order list: filters, sorting, paging; `partner_field` names the customer or supplier."""
    filters = OrderListFilter(request.GET or None, statuses=model.Status.choices, partners=partners)
    orders = model.objects.select_related(partner_field).annotate(
        line_count=Count("lines"),
        total=Sum(ExpressionWrapper(F("lines__quantity") * F(f"lines__{price}"), output_field=_VALUE)),
    )
    table = table_sort(request, _ORDER_SORTS, default="-created", tiebreak=("-id",))
    orders = table.apply(orders)
    if filters.is_valid():
        if filters.cleaned_data["status"]:
            orders = orders.filter(status=filters.cleaned_data["status"])
        if filters.cleaned_data["partner"]:
            orders = orders.filter(**{partner_field: filters.cleaned_data["partner"]})
        if filters.cleaned_data["late"]:
            orders = orders.filter(pk__in=late_ids)
    page = Paginator(orders, PAGE_SIZE).get_page(request.GET.get("page"))
    for order in page.object_list:
        order.partner = getattr(order, partner_field)
    context = {
        "title": model._meta.verbose_name_plural.capitalize(),
        "partner_label": model._meta.get_field(partner_field).verbose_name.capitalize(),
        "detail_url": detail_url,
        "filters": filters,
        "page": page,
        **table.context(),
    }
    return render(request, "orders/order_list.html", context)


@login_required
def sales_order_list(request: HttpRequest) -> HttpResponse:
    return _order_list(
        request,
        model=SalesOrder,
        partner_field="customer",
        partners=Partner.objects.filter(is_customer=True),
        late_ids=selectors.late_sales_order_ids(),
        price="unit_price",
        detail_url="orders:sales-order-detail",
    )


@login_required
def purchase_order_list(request: HttpRequest) -> HttpResponse:
    return _order_list(
        request,
        model=PurchaseOrder,
        partner_field="supplier",
        partners=Partner.objects.filter(is_supplier=True),
        late_ids=selectors.late_purchase_order_ids(),
        price="unit_cost",
        detail_url="orders:purchase-order-detail",
    )


def _sales_order(pk: int) -> SalesOrder:
    lines = SalesOrderLine.objects.select_related("item", "item__uom")
    return get_object_or_404(
        SalesOrder.objects.select_related("customer", "location").prefetch_related(Prefetch("lines", queryset=lines)),
        pk=pk,
    )


def _purchase_order(pk: int) -> PurchaseOrder:
    lines = PurchaseOrderLine.objects.select_related("item", "item__uom")
    return get_object_or_404(
        PurchaseOrder.objects.select_related("supplier").prefetch_related(Prefetch("lines", queryset=lines)), pk=pk
    )


@login_required
def sales_order_detail(request: HttpRequest, pk: int) -> HttpResponse:
    if request.method == "POST":
        require_capability(request, ORDER_ACTIONS["ship"])
    order = _sales_order(pk)
    return _order_detail(
        request,
        order,
        form_class=ShipForm,
        refusal="it cannot ship",
        done=lambda shipment: f"Shipped {shipment} with {shipment.lines.count()} line(s).",
        template="orders/sales_order_detail.html",
        context={"shipments": order.shipments.prefetch_related("lines__order_line__item")},
    )


@login_required
def purchase_order_detail(request: HttpRequest, pk: int) -> HttpResponse:
    if request.method == "POST":
        require_capability(request, ORDER_ACTIONS["receive"])
    order = _purchase_order(pk)
    return _order_detail(
        request,
        order,
        form_class=ReceiveForm,
        refusal="it cannot be received",
        done=lambda receipt: f"Received {receipt} into {receipt.location.code}.",
        template="orders/purchase_order_detail.html",
        context={"receipts": order.receipts.select_related("location").prefetch_related("lines__order_line__item")},
    )


def _order_detail(
    request: HttpRequest,
    order: SalesOrder | PurchaseOrder,
    *,
    form_class: type[ShipForm] | type[ReceiveForm],
    refusal: str,
    done: Callable[[object], str],
    template: str,
    context: dict[str, object],
) -> HttpResponse:
    """An order's page with its stock form (ship or receive) while the order is open and the user works the floor."""
    can_move = order.status in type(order).OPEN_STATUSES and has_capability(request.user, Capability.FLOOR)
    form = form_class(request.POST or None, order=order) if can_move else None
    status = 200
    if request.method == "POST":
        if form is None:
            messages.error(request, f"{order.number} is {order.get_status_display().lower()}; {refusal}.")
            return redirect(request.path)
        if form.is_valid():
            moved = form.submit(request.user)
            if moved is not None:
                messages.success(request, done(moved))
                return redirect(request.path)
        status = 400
    context = {"order": order, "form": form, "events": selectors.order_history(order), **context}
    return render(request, template, context, status=status)


_SALES_ACTIONS = {
    "confirm": services.sales_order_confirm,
    "reserve": services.sales_order_reserve,
    "cancel": services.sales_order_cancel,
}
_PURCHASE_ACTIONS = {"send": services.purchase_order_send, "cancel": services.purchase_order_cancel}


@login_required
@require_POST
def sales_order_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    service = _SALES_ACTIONS.get(action)
    if service is None:
        raise Http404("no such action")
    require_capability(request, ORDER_ACTIONS[action])
    order = get_object_or_404(SalesOrder, pk=pk)
    try:
        order = service(order=order, user=request.user)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"{order.number} is now {order.get_status_display().lower()}.")
    return redirect("orders:sales-order-detail", pk=pk)


@login_required
@require_POST
def purchase_order_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    service = _PURCHASE_ACTIONS.get(action)
    if service is None:
        raise Http404("no such action")
    require_capability(request, ORDER_ACTIONS[action])
    order = get_object_or_404(PurchaseOrder, pk=pk)
    try:
        order = service(order=order, user=request.user)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"{order.number} is now {order.get_status_display().lower()}.")
    return redirect("orders:purchase-order-detail", pk=pk)


@login_required
def late_shipments(request: HttpRequest) -> HttpResponse:
    return render(request, "orders/late_shipments.html", {"rows": selectors.late_shipments()})


@login_required
def supplier_lateness(request: HttpRequest) -> HttpResponse:
    return render(request, "orders/supplier_lateness.html", {"rows": selectors.supplier_lateness()})
