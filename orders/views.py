"""Server-rendered orders pages. Views read through selectors and write through forms that call services."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Count, DecimalField, ExpressionWrapper, F, Prefetch, Q, Sum
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from access.permissions import capability_required, require_capability
from access.roles import Capability, has_capability
from core.errors import DomainError
from core.line_editor import line_editor_page, shown
from core.pages import service_form_page, url_around_id
from core.pickers import PICKS, picker_query, picker_response
from core.tables import table_sort
from orders import selectors
from orders.forms import (
    CustomerReturnForm,
    OrderForm,
    OrderLineForm,
    OrderListFilter,
    PartnerForm,
    PurchaseOrderForm,
    PurchaseOrderLineForm,
    ReceiveForm,
    SalesOrderForm,
    SalesOrderLineForm,
    ShipForm,
    SupplierItemForm,
    SupplierReturnForm,
)
from orders.models import Partner, Receipt, Shipment, SupplierItem
from orders.permissions import ORDER_ACTIONS
from orders.services import purchase, sales
from orders.services.engine import Direction, OrderKind
from orders.services.purchase import PURCHASE
from orders.services.sales import SALES

PAGE_SIZE = 25
_VALUE = DecimalField(max_digits=36, decimal_places=8)
# Sortable columns of the order lists: ?sort=<key> ascending, ?sort=-<key> descending (default: newest first).
_ORDER_SORTS = {"number": "id", "status": "status", "value": "total", "created": "created_at"}


@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    board = selectors.dashboard()
    tables = []
    for pages, counts in ((SALES_PAGES, board.sales_counts), (PURCHASE_PAGES, board.purchase_counts)):
        model = pages.kind.model
        rows = [(label, counts[value], value) for value, label in model.Status.choices]
        tables.append((model._meta.verbose_name_plural.capitalize(), f"orders:{pages.name}-list", rows))
    context = {"board": board, "state_tables": tables}
    return render(request, "orders/dashboard.html", context)


@dataclass(frozen=True)
class OrderPages:
    """The list, detail and action pages of one kind of order: its engine description, delivery form and actions."""

    kind: OrderKind
    form_class: type[ShipForm] | type[ReceiveForm]  # the detail page's delivery form, which names its capability
    actions: dict[str, Callable[..., Any]]  # state changes by name (confirm, send, cancel...)

    @property
    def name(self) -> str:
        """ "sales-order": the pages are orders:<name>-list, -detail and -action."""
        return str(self.kind.model._meta.verbose_name).replace(" ", "-")

    @property
    def detail_url(self) -> str:
        return f"orders:{self.name}-detail"

    @property
    def template(self) -> str:
        return f"orders/{self.name.replace('-', '_')}_detail.html"

    def deliveries(self, order: Any) -> dict[str, object]:
        """The order's shipments or receipts with their lines, and their title."""
        related = self.kind.model._meta.get_field(f"{self.kind.delivery_field}s").get_accessor_name()
        # The lines with their order line and item in one query (a join), not a prefetch per relation.
        lines = self.kind.delivery_line_model._default_manager.select_related("order_line__item")
        deliveries = getattr(order, related).prefetch_related(Prefetch("lines", queryset=lines))
        if self.kind.direction is Direction.IN:
            deliveries = deliveries.select_related("location")
        return {"deliveries": deliveries, "deliveries_title": related.capitalize()}


SALES_PAGES = OrderPages(kind=SALES, form_class=ShipForm, actions=sales.ACTIONS)
PURCHASE_PAGES = OrderPages(kind=PURCHASE, form_class=ReceiveForm, actions=purchase.ACTIONS)


@login_required
def order_list(request: HttpRequest, *, pages: OrderPages) -> HttpResponse:
    """The sales or purchase order list: filters, sorting, paging; the partner column is the customer or supplier."""
    model, partner_field = pages.kind.model, pages.kind.partner_field
    partners = Partner.objects.filter(**{f"is_{partner_field}": True})
    statuses = [(selectors.OPEN, selectors.open_label(model)), *model.Status.choices]
    filters = OrderListFilter(request.GET or None, statuses=statuses, partners=partners)
    orders = model.objects.select_related(partner_field).annotate(
        line_count=Count("lines"),
        total=Sum(ExpressionWrapper(F("lines__quantity") * F(f"lines__{pages.kind.price_field}"), output_field=_VALUE)),
    )
    table = table_sort(request, _ORDER_SORTS, default="-created", tiebreak=("-id",))
    orders = table.apply(orders)
    if filters.is_valid():
        status = filters.cleaned_data["status"]
        if status == selectors.OPEN:
            orders = orders.filter(status__in=selectors.open_statuses(model))
        elif status:
            orders = orders.filter(status=status)
        if filters.cleaned_data["partner"]:
            orders = orders.filter(**{partner_field: filters.cleaned_data["partner"]})
        if filters.cleaned_data["late"]:
            orders = orders.filter(pk__in=selectors.late_order_ids(model, pages.kind.date_field))
    page = Paginator(orders, PAGE_SIZE).get_page(request.GET.get("page"))
    for order in page.object_list:
        order.partner = getattr(order, partner_field)
    context = {
        "title": model._meta.verbose_name_plural.capitalize(),
        "partner_label": model._meta.get_field(partner_field).verbose_name.capitalize(),
        "detail_url": pages.detail_url,
        "new_url": f"orders:{pages.name}-new",
        "kind_label": model._meta.verbose_name,
        "filters": filters,
        "page": page,
        **table.context(),
    }
    return render(request, "orders/order_list.html", context)


@login_required
def order_detail(request: HttpRequest, pk: int, *, pages: OrderPages) -> HttpResponse:
    """An order's page with its stock form (ship or receive) while the order is open and the user works the floor."""
    kind = pages.kind
    if request.method == "POST":
        require_capability(request, ORDER_ACTIONS[pages.form_class.action])
    lines = kind.line_model.objects.select_related("item", "item__uom", "uom")
    related = (kind.partner_field, *kind.lock_related)
    orders = kind.model._default_manager.select_related(*related).prefetch_related(Prefetch("lines", queryset=lines))
    order = get_object_or_404(orders, pk=pk)
    can_move = order.status in kind.model.OPEN_STATUSES and has_capability(request.user, Capability.FLOOR)
    form = pages.form_class(request.POST or None, order=order) if can_move else None
    status = 200
    if request.method == "POST" and form is not None and "fill_all" in request.POST:
        form = pages.form_class.filled(request.POST, order=order)  # nothing posted: the user checks, then submits
    elif request.method == "POST":
        if form is None:
            messages.error(
                request, f"{order.number} is {order.get_status_display().lower()}; {pages.form_class.refusal}."
            )
            return redirect(request.path)
        if form.is_valid():
            moved = form.submit(request.user)
            if moved is not None:
                messages.success(request, form.done(moved))
                return redirect(request.path)
        status = 400
    context = {
        "order": order,
        "form": form,
        "deliver_label": pages.form_class.action.capitalize(),
        "events": selectors.order_history(order),
        "can_return": has_capability(request.user, ORDER_ACTIONS["return"]),
        "return_url": f"orders:{pages.kind.delivery_field}-return",
        "delivery_anchor": pages.kind.delivery_field,
        "edit_url": f"orders:{pages.name}-edit",
        "item_url": url_around_id("inventory:item-detail"),
        **pages.deliveries(order),
    }
    return render(request, pages.template, context, status=status)


@login_required
@require_POST
def order_action(request: HttpRequest, pk: int, action: str, *, pages: OrderPages) -> HttpResponse:
    """A state change from the order's page: one service by name; a refusal comes back as a message."""
    service = pages.actions.get(action)
    if service is None:
        raise Http404("no such action")
    require_capability(request, ORDER_ACTIONS[action])
    order = get_object_or_404(pages.kind.model, pk=pk)
    extra = {}
    if action == "cancel":  # cannot be undone: the page's form says what happens and asks to tick a box
        if not request.POST.get("confirm"):
            messages.error(request, f"{order.number} was not cancelled: tick the box to confirm the cancellation.")
            return redirect(pages.detail_url, pk=pk)
        extra["reason"] = request.POST.get("reason", "").strip()[:500]
    try:
        order = service(order=order, user=request.user, **extra)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"{order.number} is now {order.get_status_display().lower()}.")
    return redirect(pages.detail_url, pk=pk)


_RETURNS: dict[str, tuple[type[Shipment] | type[Receipt], Any, OrderPages]] = {}


@login_required
def delivery_return(request: HttpRequest, pk: int, *, delivery: str) -> HttpResponse:
    """Return goods of a shipment (customer return) or of a receipt (return to supplier): the form lists each line
    with what may still be returned and says what the return will do before it is confirmed."""
    model, form_class, pages = _RETURNS[delivery]
    require_capability(request, ORDER_ACTIONS["return"])
    document = get_object_or_404(model.objects.select_related("order"), pk=pk)
    form = form_class(request.POST or None, delivery=document)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            done = form.submit(request.user)
            if done is not None:
                messages.success(request, form.done(done))
                return redirect(pages.detail_url, pk=document.order_id)
        status = 400
    context = {"delivery": document, "order": document.order, "form": form, "detail_url": pages.detail_url}
    return render(request, "orders/return_form.html", context, status=status)


@login_required
def late_shipments(request: HttpRequest) -> HttpResponse:
    return render(request, "orders/late_shipments.html", {"rows": selectors.late_shipments()})


@login_required
def supplier_lateness(request: HttpRequest) -> HttpResponse:
    return render(request, "orders/supplier_lateness.html", {"rows": selectors.supplier_lateness()})


_RETURNS.update(
    {
        "shipment": (Shipment, CustomerReturnForm, SALES_PAGES),
        "receipt": (Receipt, SupplierReturnForm, PURCHASE_PAGES),
    }
)


# --- Authoring: partners and draft orders -------------------------------------------------------------------------
@login_required
def partner_list(request: HttpRequest) -> HttpResponse:
    query = request.GET.get("q", "").strip()
    partners = Partner.objects.order_by("code")
    if query:
        partners = partners.filter(Q(code__icontains=query) | Q(name__icontains=query))
    page = Paginator(partners, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "orders/partner_list.html", {"page": page, "query": query})


@login_required
def partner_picker(request: HttpRequest) -> HttpResponse:
    """The partner picker's matches: active customers (role=customer) or suppliers whose code or name has the text."""
    query = picker_query(request)
    if not query:
        return picker_response(request, [])
    partners = Partner.objects.filter(is_active=True).filter(Q(code__istartswith=query) | Q(name__icontains=query))
    role = request.GET.get("role")
    if role in {"customer", "supplier"}:
        partners = partners.filter(**{f"is_{role}": True})
    picks = partners.order_by("code").only("code", "name")[:PICKS]
    return picker_response(request, ((partner.code, partner.name) for partner in picks))


def _partner_done(partner: object) -> tuple[str, str]:
    assert isinstance(partner, Partner)
    return f"Saved {partner.code} {partner.name}.", reverse("orders:partner-list")


@capability_required(Capability.MASTER_DATA)
def partner_new(request: HttpRequest) -> HttpResponse:
    role = request.GET.get("role")
    initial = {"is_customer": role == "customer", "is_supplier": role == "supplier"}
    form = PartnerForm(request.POST or None, initial=initial)
    context = {"cancel_url": reverse("orders:partner-list")}
    return service_form_page(request, form, template="orders/edit_form.html", done=_partner_done, context=context)


@capability_required(Capability.MASTER_DATA)
def partner_edit(request: HttpRequest, pk: int) -> HttpResponse:
    partner = get_object_or_404(Partner, pk=pk)
    form = PartnerForm(request.POST or None, instance=partner)
    context = {"cancel_url": reverse("orders:partner-list")}
    return service_form_page(request, form, template="orders/edit_form.html", done=_partner_done, context=context)


@login_required
def supplier_prices(request: HttpRequest, pk: int) -> HttpResponse:
    """A supplier's prices (item, unit price, lead time, minimum, preferred), with a form to add one."""
    supplier = get_object_or_404(Partner, pk=pk, is_supplier=True)
    form = SupplierItemForm(request.POST or None, supplier=supplier)
    if request.method == "POST":
        require_capability(request, Capability.MASTER_DATA)

    def done(price: object) -> tuple[str, str]:
        assert isinstance(price, SupplierItem)
        return f"Saved the price of {price.item.sku}.", reverse("orders:supplier-prices", args=[supplier.pk])

    prices = SupplierItem.objects.filter(supplier=supplier).select_related("item__uom").order_by("item__sku")
    context = {"supplier": supplier, "prices": prices, "cancel_url": reverse("orders:partner-list")}
    return service_form_page(request, form, template="orders/supplier_prices.html", done=done, context=context)


@capability_required(Capability.MASTER_DATA)
def supplier_price_edit(request: HttpRequest, pk: int) -> HttpResponse:
    price = get_object_or_404(SupplierItem.objects.select_related("supplier", "item"), pk=pk)
    form = SupplierItemForm(request.POST or None, supplier=price.supplier, instance=price)
    back = reverse("orders:supplier-prices", args=[price.supplier_id])

    def done(saved: object) -> tuple[str, str]:
        return f"Saved the price of {price.item.sku}.", back

    return service_form_page(request, form, template="orders/edit_form.html", done=done, context={"cancel_url": back})


_EDITORS: dict[str, tuple[type[OrderForm], type[OrderLineForm]]] = {}


def _order_editor(request: HttpRequest, pages: OrderPages, order: Any = None) -> HttpResponse:
    """Create a draft, or edit one: a header and a line editor (core.line_editor)."""
    form_class, line_form = _EDITORS[pages.name]
    initial: dict[str, object] = {}
    initial_lines: list[dict] = []
    if order is not None:
        initial = {
            form_class.partner_field: getattr(order, form_class.partner_field).code,
            "reference": getattr(order, f"{form_class.partner_field}_reference"),
            "notes": order.notes,
            **({"location": order.location_id} if "location" in form_class.base_fields else {}),
        }
        initial_lines = [
            {name: shown(getattr(line, name)) for name in line_form.LINE_FIELDS} for line in order.lines.all()
        ]
    cancel_url = reverse(f"orders:{pages.name}-list")
    if order is not None:
        cancel_url = reverse(pages.detail_url, args=[order.pk])

    def done(saved: object) -> tuple[str, str]:
        return f"Saved draft {saved}.", reverse(pages.detail_url, args=[saved.pk])  # type: ignore[attr-defined]

    return line_editor_page(
        request,
        form_class=form_class,
        line_form=line_form,
        template="orders/order_form.html",
        done=done,
        instance=order,
        initial=initial,
        initial_lines=initial_lines,
        context={"cancel_url": cancel_url},
    )


@login_required
def order_new(request: HttpRequest, *, pages: OrderPages) -> HttpResponse:
    require_capability(request, ORDER_ACTIONS["create"])
    return _order_editor(request, pages)


@login_required
def order_edit(request: HttpRequest, pk: int, *, pages: OrderPages) -> HttpResponse:
    require_capability(request, ORDER_ACTIONS["update"])
    lines = pages.kind.line_model.objects.select_related("item").order_by("pk")
    orders = pages.kind.model._default_manager.select_related(pages.kind.partner_field)
    order = get_object_or_404(orders.prefetch_related(Prefetch("lines", queryset=lines)), pk=pk)
    if order.status != "draft":
        messages.error(request, f"{order.number} is {order.get_status_display().lower()}; only a draft can be changed.")
        return redirect(pages.detail_url, pk=order.pk)
    return _order_editor(request, pages, order)


_EDITORS.update(
    {
        SALES_PAGES.name: (SalesOrderForm, SalesOrderLineForm),
        PURCHASE_PAGES.name: (PurchaseOrderForm, PurchaseOrderLineForm),
    }
)
