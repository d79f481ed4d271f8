"""Reads of orders: open demand and supply for material requirements, the dashboard and the lateness reports."""

from __future__ import annotations

import datetime
from collections.abc import Collection
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, TypedDict

from django.db.models import Count, DecimalField, ExpressionWrapper, F, Q, QuerySet, Sum, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from audit.selectors import audit_entries
from core import prepared
from inventory.traceability import TracedDocument
from orders.models import (
    Order,
    Partner,
    PurchaseOrder,
    PurchaseOrderLine,
    Receipt,
    ReceiptLine,
    SalesOrder,
    SalesOrderLine,
    Shipment,
    SupplierItem,
)

if TYPE_CHECKING:  # django-stubs (a development requirement): the type of a model instance with annotations
    from django_stubs_ext import WithAnnotations

ZERO = Decimal(0)
_DEC = DecimalField(max_digits=36, decimal_places=8)


@dataclass(frozen=True)
class OpenLine:
    """An item needed (demand) or arriving (supply) by a date; `source` names the order, e.g. "SO-00012"."""

    item_id: int
    quantity: Decimal
    due_date: datetime.date
    source: str


class _OpenQuantity(TypedDict):
    open_qty: Decimal


# --- Demand and supply ---------------------------------------------------------------------------------------------
def open_sales_lines() -> QuerySet[WithAnnotations[SalesOrderLine, _OpenQuantity]]:
    """Lines of confirmed and partially shipped orders that still have something to ship."""
    return (
        SalesOrderLine.objects.filter(order__status__in=SalesOrder.OPEN_STATUSES, shipped_quantity__lt=F("quantity"))
        .annotate(open_qty=F("quantity") - F("shipped_quantity"))
        .select_related("order", "order__customer", "item")
    )


def open_purchase_lines() -> QuerySet[WithAnnotations[PurchaseOrderLine, _OpenQuantity]]:
    """Lines of sent and partially received orders that still expect goods."""
    return (
        PurchaseOrderLine.objects.filter(
            order__status__in=PurchaseOrder.OPEN_STATUSES, received_quantity__lt=F("quantity")
        )
        .annotate(open_qty=F("quantity") - F("received_quantity"))
        .select_related("order", "order__supplier", "item")
    )


def open_sales_demand() -> list[OpenLine]:
    """Demand for material requirements: what confirmed orders still have to ship and have not reserved yet,
    due on the promised date. Reserved stock is already set aside, so it is not demand on free stock; drafts are
    not commitments and count for nothing.
    """
    lines = (
        open_sales_lines()
        .annotate(unreserved=F("quantity") - F("shipped_quantity") - F("reserved_quantity"))
        .filter(unreserved__gt=0)
        .order_by("promised_date", "pk")
        .values_list("item_id", "unreserved", "promised_date", "order_id")
    )
    return [OpenLine(item, qty, due, f"SO-{order:05d}") for item, qty, due, order in lines]


def open_purchase_supply() -> list[OpenLine]:
    """Supply for material requirements: what sent purchase orders still have to deliver, due on the expected date."""
    lines = (
        open_purchase_lines()
        .order_by("expected_date", "pk")
        .values_list("item_id", "open_qty", "expected_date", "order_id")
    )
    return [OpenLine(item, qty, due, f"PO-{order:05d}") for item, qty, due, order in lines]


def preferred_supplier_terms() -> list[tuple[int, int, Decimal | None]]:
    """(item, lead time in days, least order quantity) of every item's preferred supplier, in one query."""
    return list(
        SupplierItem.objects.filter(is_preferred=True)
        .order_by()
        .values_list("item_id", "lead_time_days", "minimum_quantity")
    )


def on_order_quantities(item_ids: Collection[int]) -> dict[int, Decimal]:
    """Inventory's supply hook (reorder report): open purchase quantity per item."""
    rows = (
        PurchaseOrderLine.objects.filter(
            item_id__in=list(item_ids),
            order__status__in=PurchaseOrder.OPEN_STATUSES,
            received_quantity__lt=F("quantity"),
        )
        .values("item_id")
        .annotate(total=Sum(F("quantity") - F("received_quantity")))
    )
    return {row["item_id"]: row["total"] for row in rows}


# --- Dashboard -----------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Dashboard:
    sales_counts: dict[str, int]  # status -> number of orders
    purchase_counts: dict[str, int]
    open_sales_value: Decimal  # open (unshipped) quantity x unit price over open orders
    open_purchase_value: Decimal  # open (unreceived) quantity x unit cost over open orders
    sales_due_this_week: int  # open sales lines promised from today to 6 days ahead
    purchases_due_this_week: int
    late_sales_lines: int
    late_purchase_lines: int


def order_by_number(model: type[SalesOrder] | type[PurchaseOrder], number: str) -> int | None:
    """The id of the order numbered `number` ("SO-00012", "so-12"), or None (the number is the prefix and the id)."""
    prefix, _, digits = number.strip().upper().partition("-")
    if prefix != model.NUMBER_PREFIX or not digits.isdigit() or len(digits) > 18:
        return None
    return model.objects.filter(pk=int(digits)).values_list("pk", flat=True).first()


OPEN = "open"  # the order lists' status filter value for "open" (templates link dashboard figures with it)


def open_statuses(model: type[SalesOrder] | type[PurchaseOrder]) -> tuple[str, ...]:
    """The one definition of an open order, counted by the dashboard and listed by `?status=open`: confirmed
    (sales) or sent (purchase), or partly shipped/received."""
    return tuple(model.OPEN_STATUSES)


def open_label(model: type[SalesOrder] | type[PurchaseOrder]) -> str:
    labels = dict(model.Status.choices)
    return "Open (" + " or ".join(str(labels[status]).lower() for status in open_statuses(model)) + ")"


def open_order_count(counts: dict[str, int], model: type[SalesOrder] | type[PurchaseOrder]) -> int:
    """Open orders out of per-status counts (`Dashboard.sales_counts` / `purchase_counts`)."""
    return sum(counts[status] for status in open_statuses(model))


def _status_counts() -> tuple[dict[str, int], dict[str, int]]:
    """Sales and purchase orders per status, every status present (0 if none), in one query (UNION ALL)."""
    sales, purchases = dict.fromkeys(SalesOrder.Status.values, 0), dict.fromkeys(PurchaseOrder.Status.values, 0)
    for kind, status, n in prepared.rows("orders.status_counts", _status_count_rows):
        (sales if kind == "s" else purchases)[status] = n
    return sales, purchases


def _status_count_rows() -> QuerySet:
    sales = SalesOrder.objects.annotate(kind=Value("s")).values_list("kind", "status").annotate(n=Count("pk"))
    purchases = PurchaseOrder.objects.annotate(kind=Value("p")).values_list("kind", "status").annotate(n=Count("pk"))
    return sales.order_by().union(purchases.order_by(), all=True).order_by()


# A line's price is per its own unit; open quantities are in stock units: line quantity / stock quantity converts
# (1 for a line in the stock unit).
_PER_STOCK_UNIT = Coalesce(F("uom_quantity"), F("quantity")) / F("quantity")


def dashboard(*, today: datetime.date | None = None) -> Dashboard:
    """Open orders at a glance: counts per status, open value, lines due in the coming week and lines late."""
    today = today or timezone.localdate()
    week_end = today + datetime.timedelta(days=6)
    lines = prepared.rows(("orders.open_line_totals", today), lambda: _open_line_totals(today, week_end))
    totals = {kind: dict(value=value, due=due, late=late) for kind, value, due, late in lines}
    sales, purchases = totals["s"], totals["p"]
    sales_counts, purchase_counts = _status_counts()
    return Dashboard(
        sales_counts=sales_counts,
        purchase_counts=purchase_counts,
        open_sales_value=sales["value"].quantize(Decimal("0.01")),
        open_purchase_value=purchases["value"].quantize(Decimal("0.01")),
        sales_due_this_week=sales["due"],
        purchases_due_this_week=purchases["due"],
        late_sales_lines=sales["late"],
        late_purchase_lines=purchases["late"],
    )


def _open_totals(
    lines: QuerySet, kind: str, price: str, due_on: str, today: datetime.date, week_end: datetime.date
) -> QuerySet:
    """One side of `_open_line_totals`: open value at `price`, lines due (`due_on`) this week and lines late."""
    return (
        lines.annotate(kind=Value(kind))
        .values("kind")
        .annotate(
            value=Coalesce(
                Sum(ExpressionWrapper(F("open_qty") * F(price) * _PER_STOCK_UNIT, output_field=_DEC)), Value(ZERO)
            ),
            due=Count("pk", filter=Q(**{f"{due_on}__range": (today, week_end)})),
            late=Count("pk", filter=Q(**{f"{due_on}__lt": today})),
        )
        .values_list("kind", "value", "due", "late")
    )


def _open_line_totals(today: datetime.date, week_end: datetime.date) -> QuerySet:
    """Open value, lines due this week and lines late, of sales ("s") and purchase ("p") lines, as one query: each
    side an aggregate without GROUP BY (exactly one row, even over no lines), tagged since UNION ALL keeps no order."""
    sales = _open_totals(open_sales_lines(), "s", "unit_price", "promised_date", today, week_end)
    purchases = _open_totals(open_purchase_lines(), "p", "unit_cost", "expected_date", today, week_end)
    return sales.order_by().union(purchases.order_by(), all=True).order_by()


# --- Lateness ------------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class LateShipment:
    line: SalesOrderLine
    open_quantity: Decimal
    days_late: int


def late_shipments(
    *, today: datetime.date | None = None, customer: Partner | None = None, limit: int | None = None
) -> list[LateShipment]:
    """Open sales lines whose promised date has passed, most late first (the first `limit` of them if given; their
    number is `dashboard().late_sales_lines`)."""
    today = today or timezone.localdate()
    lines = open_sales_lines().filter(promised_date__lt=today).order_by("promised_date", "order_id", "pk")
    if customer is not None:
        lines = lines.filter(order__customer=customer)
    if limit is not None:
        lines = lines[:limit]
    return [LateShipment(line, line.open_qty, (today - line.promised_date).days) for line in lines]


@dataclass(frozen=True)
class LateLine:
    """A late sales line as a panel lists it, read as plain values (`late_shipments` gives the lines themselves)."""

    order_id: int
    order_number: str
    customer_code: str
    sku: str
    open_quantity: Decimal
    days_late: int


def late_lines(*, limit: int, today: datetime.date | None = None) -> list[LateLine]:
    """The first `limit` of `late_shipments()`, most late first, as plain values in one compiled-once query."""
    today = today or timezone.localdate()
    rows = prepared.rows(("orders.late_lines", today, limit), lambda: _late_line_values(today, limit))
    return [
        LateLine(order_id, SalesOrder.number_of(order_id), customer, sku, open_qty, (today - promised).days)
        for order_id, customer, sku, open_qty, promised in rows
    ]


def _late_line_values(today: datetime.date, limit: int) -> QuerySet:
    lines = open_sales_lines().filter(promised_date__lt=today).order_by("promised_date", "order_id", "pk")
    return lines.values_list("order_id", "order__customer__code", "item__sku", "open_qty", "promised_date")[:limit]


def late_order_ids(
    model: type[SalesOrder] | type[PurchaseOrder], date_field: str, *, today: datetime.date | None = None
) -> QuerySet:
    """Ids of open orders with at least one line past its promised or expected date (for list filters)."""
    today = today or timezone.localdate()
    lines = open_sales_lines() if model is SalesOrder else open_purchase_lines()
    return lines.filter(**{f"{date_field}__lt": today}).values("order_id")


@dataclass(frozen=True)
class SupplierLateness:
    supplier: Partner
    receipt_lines: int  # lines received so far
    late_receipt_lines: int  # received after the line's expected date
    average_days_late: Decimal  # over the late receipt lines
    open_overdue_lines: int  # still open although the expected date has passed

    @property
    def on_time_percent(self) -> Decimal:
        if not self.receipt_lines:
            return Decimal(100)
        on_time = self.receipt_lines - self.late_receipt_lines
        return (Decimal(100) * on_time / self.receipt_lines).quantize(Decimal("0.1"))


def supplier_lateness(*, today: datetime.date | None = None) -> list[SupplierLateness]:
    """Per supplier: how many receipt lines came after their expected date and by how many days on average,
    and how many open lines are already overdue. Suppliers with neither receipts nor open lines are left out.
    """
    today = today or timezone.localdate()
    stats: dict[int, list] = {}
    receipts = ReceiptLine.objects.values_list(
        "receipt__order__supplier_id", "receipt__received_at", "order_line__expected_date"
    )
    for supplier_id, received_at, expected in receipts:
        entry = stats.setdefault(supplier_id, [0, 0, 0, 0])
        entry[0] += 1
        days = (timezone.localdate(received_at) - expected).days
        if days > 0:
            entry[1] += 1
            entry[2] += days
    overdue = (
        open_purchase_lines()
        .filter(expected_date__lt=today)
        .values("order__supplier_id")
        .annotate(n=Count("pk"))
        .order_by()
    )
    for row in overdue:
        stats.setdefault(row["order__supplier_id"], [0, 0, 0, 0])[3] = row["n"]
    suppliers = Partner.objects.in_bulk(list(stats))
    report = []
    for supplier_id, (count, late, days, open_late) in stats.items():
        average = (Decimal(days) / late).quantize(Decimal("0.1")) if late else Decimal(0)
        report.append(SupplierLateness(suppliers[supplier_id], count, late, average, open_late))
    report.sort(key=lambda row: (-row.late_receipt_lines - row.open_overdue_lines, row.supplier.code))
    return report


# --- History --------------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class HistoryEvent:
    """One line of an order's history, read from the audit log: when, what (e.g. "confirmed"), a detail, by whom."""

    created_at: datetime.datetime
    action: str
    detail: str
    username: str


# The order events and the verb of their audit actions (orders.sales_order_<verb>, orders.purchase_order_<verb>).
HISTORY_WORDS = {
    "create": "created",
    "update": "changed",
    "confirm": "confirmed",
    "reserve": "reserved",
    "cancel": "cancelled",
    "ship": "shipped",
    "send": "sent",
    "receive": "received",
    "return": "returned",
}


def order_history(order: Order, *, limit: int = 20) -> list[HistoryEvent]:
    """The order's latest audit entries, newest first, as the history its page shows."""
    entries = audit_entries(object_type=order._meta.label_lower, object_id=str(order.pk))[:limit]
    history = []
    for entry in entries:
        verb = entry.action.rsplit("_", 1)[-1]
        detail = (entry.changes.get("detail") or [None, ""])[1]
        history.append(HistoryEvent(entry.created_at, HISTORY_WORDS.get(verb, verb), detail, entry.username))
    return history


def traced_shipments(ids: Collection[int]) -> dict[int, TracedDocument]:
    """Shipments as a lot trace names them (inventory.traceability): number, sales order and customer; one query."""
    rows = Shipment.objects.filter(pk__in=ids).select_related("order__customer")
    return {
        shipment.pk: TracedDocument(
            kind="shipment",
            document_id=shipment.pk,
            label=str(shipment),
            order_number=shipment.order.number,
            partner=str(shipment.order.customer),
            partner_id=shipment.order.customer_id,
        )
        for shipment in rows
    }


def traced_receipts(ids: Collection[int]) -> dict[int, TracedDocument]:
    """Receipts as a lot trace names them: number, purchase order and supplier; one query."""
    rows = Receipt.objects.filter(pk__in=ids).select_related("order__supplier")
    return {
        receipt.pk: TracedDocument(
            kind="receipt",
            document_id=receipt.pk,
            label=str(receipt),
            order_number=receipt.order.number,
            partner=str(receipt.order.supplier),
            partner_id=receipt.order.supplier_id,
        )
        for receipt in rows
    }
