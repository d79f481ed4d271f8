"""Server-rendered inventory pages. Views read through selectors and write through forms that call services."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Q, QuerySet, Sum
from django.db.models.functions import Coalesce
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import urlencode

from access.permissions import capability_required
from access.roles import Capability, has_capability
from core.errors import DomainError
from core.pages import service_form_page, url_around_id
from core.pickers import PICKS, picker_query, picker_response
from core.tables import list_page, table_sort
from customfields.forms import CustomFieldFilterForm, shown_value
from customfields.services import definitions
from erp.celery import job_lacks_worker
from inventory import selectors, services, traceability
from inventory.exports import items_csv
from inventory.forms import (
    MOVE_FORMS,
    ImportForm,
    ItemForm,
    ItemListFilter,
    LocationForm,
    ReverseForm,
    ValuationForm,
)
from inventory.item_facts import item_facts
from inventory.ledger_rows import ledger_rows
from inventory.models import ZERO, Item, ItemImport, Location, Lot, StockMove
from inventory.scan import document_url

PAGE_SIZE = 25


# Sortable columns of the item list: ?sort=<key> ascending, ?sort=-<key> descending; ties broken by SKU.
ITEM_SORTS = {"sku": "sku", "name": "name", "kind": "kind", "on_hand": "total_on_hand", "available": "total_available"}


@login_required
def item_list(request: HttpRequest) -> HttpResponse:
    filters = ItemListFilter(request.GET)
    table = table_sort(request, ITEM_SORTS, default="sku", tiebreak=("sku",))
    items, custom = _custom_filtered(request, filters.filter_items())
    listing = list_page(request, table.apply(items))
    for item in listing.page.object_list:
        values = item.attributes if isinstance(item.attributes, dict) else {}
        item.custom_cells = [shown_value(d, values.get(d.key, "")) for d in custom["custom_columns"]]
    export = reverse("inventory:item-export")
    if request.GET:
        export += "?" + urlencode([(k, v) for k, v in request.GET.items() if k not in {"page", "sort", "size"}])
    context = {
        "filters": filters,
        "query": filters.cleaned_data.get("q", ""),
        "export_url": export,
        **custom,
        **table.context(),
        **listing.context(),
    }
    refused = filters.errors or custom["custom_filters"].errors
    return render(request, "inventory/item_list.html", context, status=400 if refused else 200)


def _custom_filtered(request: HttpRequest, items: QuerySet[Item]) -> tuple[QuerySet[Item], dict]:
    """`items` narrowed by the request's `cf_<key>` filters, and the custom columns and filter form of the list. A
    filter the field refuses (an undefined key, a number that is not one) is said by its box and shows no rows."""
    shown = [d for d in definitions("item") if d.show_in_list]
    form = CustomFieldFilterForm("item", request.GET, shown)
    form.is_valid()
    try:
        items = selectors.items_with_custom_values(items, request.GET)
    except DomainError as exc:
        form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        items = items.none()
    return items, {"custom_columns": shown, "custom_filters": form}


@login_required
def item_export(request: HttpRequest) -> StreamingHttpResponse | HttpResponse:
    """The items of the list (same search and custom-field filters) as CSV, in the columns the import reads."""
    items, custom = _custom_filtered(request, Item.objects.select_related("uom").order_by("sku"))
    if custom["custom_filters"].errors:
        return HttpResponse(custom["custom_filters"].errors.as_text(), status=400, content_type="text/plain")
    query = request.GET.get("q", "").strip()
    if query:
        items = items.filter(Q(sku__icontains=query) | Q(name__icontains=query))
    response = StreamingHttpResponse(
        items_csv(items.iterator(chunk_size=2000), definitions("item")), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = 'attachment; filename="items.csv"'
    return response


@login_required
def scan(request: HttpRequest) -> HttpResponse:
    """A scanned (or typed) code: an item's SKU (any letter case) opens the item and says its name and stock; a
    work-order or order number opens that; anything else goes back to the list, searching for it, with a message."""
    code = request.GET.get("sku", "").strip()
    stock = selectors.item_stock(code) if code else None
    if stock is not None:
        messages.info(request, stock.sentence)
        return redirect("inventory:item-detail", pk=stock.item.pk)
    url = document_url(code) if code else None
    if url is not None:
        return redirect(url)
    if code:
        messages.error(request, f"No item with SKU {code}. No work order or order has that number either.")
    return redirect(f"{reverse('inventory:item-list')}?{urlencode({'q': code})}" if code else "inventory:item-list")


@login_required
def item_stock(request: HttpRequest) -> HttpResponse:
    """The sentence a scan field shows after a SKU (static/js/scan.js): the item's name and stock; 404 if unknown."""
    code = request.GET.get("sku", "").strip()
    stock = selectors.item_stock(code) if code else None
    if stock is None:
        return HttpResponse(f"No item with SKU {code}.", status=404, content_type="text/plain; charset=utf-8")
    return HttpResponse(stock.sentence, content_type="text/plain; charset=utf-8")


@login_required
def item_detail(request: HttpRequest, pk: int) -> HttpResponse:
    page = selectors.item_page(pk)
    if page is None:
        raise Http404("No Item matches the given query.")
    item = page.item
    moves = Paginator(page.moves, PAGE_SIZE).get_page(  # type: ignore[arg-type, var-annotated]
        request.GET.get("page")
    )
    # A move a document posted is undone by the document (customer return, return to supplier, un-complete): its
    # row links there instead of offering a bare reversal.
    documents = services.move_documents(moves.object_list)
    reverse_at = url_around_id("inventory:move-reverse")
    for move in moves.object_list:
        move.document = documents.get(move.pk)
        move.reverse_url = f"{reverse_at[0]}{move.pk}{reverse_at[1]}"
    context = {
        "item": item,
        "levels": page.levels,
        "moves": moves,
        "ledger_rows": ledger_rows(moves.object_list, can_stock=has_capability(request.user, Capability.STOCK)),
        "facts": item_facts(item, page.conversions),
    }
    return render(request, "inventory/item_detail.html", context)


@capability_required(Capability.STOCK)
def move_form(request: HttpRequest, kind: str) -> HttpResponse:
    form_class = MOVE_FORMS.get(kind)
    if form_class is None:
        raise Http404("no such stock operation")
    if request.method == "POST":
        form = form_class(request.POST)
        if form.is_valid():
            move = form.submit(request.user)
            if not form.errors:
                item = form.cleaned_data["item"]
                if move is None:
                    messages.info(request, f"The count matches on hand for {item.sku}; nothing was posted.")
                else:
                    messages.success(request, f"Posted: {move.get_reason_display().lower()} of {move.quantity:f}.")
                return redirect("inventory:item-detail", pk=item.pk)
        status = 400
    else:
        item_id = request.GET.get("item", "")
        item = Item.objects.filter(pk=int(item_id)).first() if item_id.isdigit() else None
        form = form_class(initial={"item": item.sku} if item is not None else {})
        status = 200
    return render(request, "inventory/move_form.html", {"form": form, "kind": kind}, status=status)


@capability_required(Capability.STOCK)
def move_reverse(request: HttpRequest, pk: int) -> HttpResponse:
    """Reverse a move: the page says what the reversal will move and asks to confirm it."""
    move = get_object_or_404(StockMove.objects.select_related("item", "from_location", "to_location"), pk=pk)
    form = ReverseForm(request.POST or None, move=move)
    if request.method == "POST" and form.is_valid():
        reversal = form.submit(request.user)
        if reversal is not None:
            messages.success(request, f"Move #{move.pk} reversed by move #{reversal.pk}.")
            return redirect("inventory:item-detail", pk=move.item_id)
    status = 400 if form.errors else 200
    return render(request, "inventory/move_reverse.html", {"form": form, "move": move}, status=status)


@login_required
def location_list(request: HttpRequest) -> HttpResponse:
    page = Paginator(selectors.location_tree(), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "inventory/location_list.html", {"page": page})


@login_required
def reorder_report(request: HttpRequest) -> HttpResponse:
    query = request.GET.copy()
    query.pop("page", None)
    context = {"querystring": query.urlencode(), **list_page(request, selectors.reorder_report()).context()}
    return render(request, "inventory/reorder_report.html", context)


@capability_required(Capability.MASTER_DATA)
def import_new(request: HttpRequest) -> HttpResponse:
    form = ImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        job = form.submit(request.user)
        if job is not None:
            return redirect("inventory:import-detail", pk=job.pk)
    status = 400 if form.errors else 200
    recent = ItemImport.objects.only("id", "file_name", "status", "created_at", "total_rows", "processed_rows")[:10]
    return render(request, "inventory/import_new.html", {"form": form, "recent": recent}, status=status)


@login_required
def import_detail(request: HttpRequest, pk: int) -> HttpResponse:
    job = get_object_or_404(ItemImport.objects.defer("content"), pk=pk)
    response = render(request, "inventory/import_detail.html", {"job": job, "no_worker": job_lacks_worker(job)})
    if not job.is_finished:
        response["Refresh"] = "2"  # the browser reloads the page until the job is done
    return response


@login_required
def valuation_report(request: HttpRequest) -> HttpResponse:
    """Every item's stock and its value at moving-average cost, now or at the end of a chosen day."""
    form = ValuationForm(request.GET or None)
    day = form.cleaned_data["date"] if form.is_valid() else None
    valuation = selectors.stock_valuation(at=selectors.end_of_day(day) if day is not None else None)
    context = {"form": form, "valuation": valuation, "day": day}
    return render(request, "inventory/valuation.html", context, status=400 if form.errors else 200)


@login_required
def lot_list(request: HttpRequest) -> HttpResponse:
    """Lots and serial numbers, searched by their code, their supplier's lot or their item's SKU."""
    query = request.GET.get("q", "").strip()
    lots = Lot.objects.select_related("item").annotate(on_hand=Coalesce(Sum("levels__on_hand"), ZERO))
    if query:
        lots = lots.filter(Q(code__icontains=query) | Q(supplier_lot__icontains=query) | Q(item__sku__iexact=query))
    page = Paginator(lots.order_by("item__sku", "code"), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "inventory/lot_list.html", {"page": page, "query": query})


def _trace_of(request: HttpRequest, pk: int) -> tuple[Lot, traceability.Trace]:
    lot = get_object_or_404(Lot.objects.select_related("item"), pk=pk)
    direction = request.GET.get("direction", traceability.Direction.FORWARD)
    if direction not in traceability.Direction:
        direction = traceability.Direction.FORWARD
    trace = traceability.lot_trace(lot_id=lot.pk, direction=direction)
    if trace is None:  # removed meanwhile
        raise Http404("no such lot")
    return lot, trace


@login_required
def lot_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """A lot with its levels and its trace, forward (made from it, shipped to) or backward (went into it, bought
    from)."""
    lot, trace = _trace_of(request, pk)
    levels = lot.levels.select_related("location").filter(on_hand__gt=0).order_by("location__code")
    context = {"lot": lot, "trace": trace, "levels": levels, "directions": list(traceability.Direction)}
    return render(request, "inventory/lot_detail.html", context)


@login_required
def lot_recall_csv(request: HttpRequest, pk: int) -> HttpResponse:
    """The trace as a CSV recall list (traceability.recall_csv)."""
    lot, trace = _trace_of(request, pk)
    response = HttpResponse(traceability.recall_csv(trace), content_type="text/csv; charset=utf-8")
    safe = "".join(char if char.isalnum() or char in "-_." else "_" for char in f"{lot.item.sku}-{lot.code}")
    response["Content-Disposition"] = f'attachment; filename="recall-{trace.direction}-{safe}.csv"'
    return response


# --- Authoring: items and locations (master data) -------------------------------------------------------------------
@login_required
def item_picker(request: HttpRequest) -> HttpResponse:
    """The item search picker's matches: active items whose SKU starts with (any letter case) or name contains it."""
    query = picker_query(request)
    items = selectors.item_picks(query=query, limit=PICKS) if query else []
    return picker_response(request, ((item.sku, item.name) for item in items))


def _item_done(item: object) -> tuple[str, str]:
    assert isinstance(item, Item)
    return f"Saved item {item.sku}.", reverse("inventory:item-detail", args=[item.pk])


@capability_required(Capability.MASTER_DATA)
def item_new(request: HttpRequest) -> HttpResponse:
    form = ItemForm(request.POST or None)
    context = {"cancel_url": reverse("inventory:item-list")}
    return service_form_page(request, form, template="inventory/edit_form.html", done=_item_done, context=context)


@capability_required(Capability.MASTER_DATA)
def item_edit(request: HttpRequest, pk: int) -> HttpResponse:
    item = get_object_or_404(Item.objects.select_related("uom"), pk=pk)
    form = ItemForm(request.POST or None, instance=item)
    context = {"cancel_url": reverse("inventory:item-detail", args=[item.pk])}
    return service_form_page(request, form, template="inventory/edit_form.html", done=_item_done, context=context)


def _location_done(location: object) -> tuple[str, str]:
    assert isinstance(location, Location)
    return f"Saved location {location.code}.", reverse("inventory:location-list")


@capability_required(Capability.MASTER_DATA)
def location_new(request: HttpRequest) -> HttpResponse:
    form = LocationForm(request.POST or None, initial={"parent": request.GET.get("parent", "")})
    context = {"cancel_url": reverse("inventory:location-list")}
    return service_form_page(request, form, template="inventory/edit_form.html", done=_location_done, context=context)


@capability_required(Capability.MASTER_DATA)
def location_edit(request: HttpRequest, pk: int) -> HttpResponse:
    location = get_object_or_404(Location.objects.select_related("parent"), pk=pk)
    form = LocationForm(request.POST or None, instance=location)
    context = {"cancel_url": reverse("inventory:location-list")}
    return service_form_page(request, form, template="inventory/edit_form.html", done=_location_done, context=context)
