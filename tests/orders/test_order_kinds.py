"""What the order engine does the same way for every kind of order (sales, purchase), tested once per kind.

Each test takes `kind`: how to make a draft of that kind with two lines, release it (confirm, send), deliver it
(ship, receive) and cancel it, and the names its lines and statuses have. Behaviour only one kind has lives in
test_sales.py and test_purchase.py.
"""

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pytest

from audit.models import AuditEntry
from inventory.services import stock_receive
from orders import selectors, services
from orders.models import OrderEvent, PurchaseOrder, SalesOrder
from orders.services import InvalidOrderLine, InvalidTransition
from tests.orders.support import snapshot

D = Decimal


@dataclass(frozen=True)
class Kind:
    model: Any
    price: str  # the line's price field
    date: str  # the line's date field
    create: Any  # (lines) -> a draft
    release: Any
    deliver: Any
    cancel: Any

    def lines_of(self, order):
        return list(order.lines.order_by("pk"))


@pytest.fixture(params=["sales", "purchase"])
def kind(request, customer, supplier, store, clerk):
    if request.param == "sales":
        return Kind(
            SalesOrder,
            "unit_price",
            "promised_date",
            lambda lines: services.sales_order_create(customer=customer, location=store, user=clerk, lines=lines),
            services.sales_order_confirm,
            services.shipment_create,
            services.sales_order_cancel,
        )
    return Kind(
        PurchaseOrder,
        "unit_cost",
        "expected_date",
        lambda lines: services.purchase_order_create(supplier=supplier, user=clerk, lines=lines),
        services.purchase_order_send,
        services.receipt_create,
        services.purchase_order_cancel,
    )


@pytest.fixture
def order(kind, bolt, nut, store, clerk, next_week):
    """A draft for 10 bolts and 4 nuts, with the stock a sales order needs to ship."""
    stock_receive(item=bolt, location=store, quantity=10, user=clerk)
    stock_receive(item=nut, location=store, quantity=4, user=clerk)
    return kind.create(
        [
            {"item": bolt, "quantity": 10, kind.price: "2.50", kind.date: next_week},
            {"item": nut, "quantity": "4", kind.price: D("0.10"), kind.date: next_week},
        ]
    )


def statuses(kind) -> list[str]:
    """draft, released, partially delivered, delivered, cancelled."""
    return list(kind.model.Status.values)


@pytest.mark.parametrize("closed", [3, 4], ids=["delivered", "cancelled"])
def test_a_closed_order_cannot_be_cancelled(kind, order, clerk, closed):
    kind.model.objects.filter(pk=order.pk).update(status=statuses(kind)[closed])
    before = snapshot()
    with pytest.raises(InvalidTransition, match="cannot be cancelled"):
        kind.cancel(order=order, user=clerk)
    assert snapshot() == before


@pytest.mark.parametrize("status", [1, 2, 4], ids=["released", "partially delivered", "cancelled"])
def test_only_a_draft_can_be_released(kind, order, clerk, status):
    kind.model.objects.filter(pk=order.pk).update(status=statuses(kind)[status])
    released = statuses(kind)[1]
    before = snapshot()
    with pytest.raises(InvalidTransition, match=f"only a draft can be {released}"):
        kind.release(order=order, user=clerk)
    assert snapshot() == before


@pytest.mark.parametrize("status", [0, 3, 4], ids=["draft", "delivered", "cancelled"])
def test_delivering_is_refused_unless_the_order_is_open(kind, order, clerk, status):
    kind.model.objects.filter(pk=order.pk).update(status=statuses(kind)[status])
    order.refresh_from_db()
    guard = {
        SalesOrder: "only a confirmed or partially shipped order can ship",
        PurchaseOrder: "only a sent or partially received order can be received",
    }[kind.model]
    before = snapshot()
    with pytest.raises(InvalidTransition, match=f"is {order.get_status_display().lower()}; {guard}"):
        kind.deliver(order=order, user=clerk, lines=[{"line": kind.lines_of(order)[0], "quantity": 1}])
    assert snapshot() == before


@pytest.mark.parametrize(
    ("entries", "message"),
    [
        ([], "at least one line"),
        ([{"line": 0, "quantity": 1}], "not a line of order"),
        ([{"line": "first", "quantity": 0}], "greater than zero"),
        ([{"line": "first", "quantity": "-2"}], "greater than zero"),
        ([{"line": "first", "quantity": "abc"}], "not a number"),
        ([{"line": "first", "quantity": "1e3x"}], "not a number"),
        ([{"line": "first", "quantity": "0.00001"}], "decimal places"),
        ([{"line": "first", "quantity": 1}, {"line": "first", "quantity": 2}], "listed twice"),
    ],
)
def test_bad_delivery_input_is_refused_and_nothing_is_written(kind, order, clerk, entries, message):
    order = kind.release(order=order, user=clerk)
    first = kind.lines_of(order)[0]
    entries = [{**entry, "line": first if entry["line"] == "first" else entry["line"]} for entry in entries]
    before = snapshot()
    with pytest.raises(InvalidOrderLine, match=message):
        kind.deliver(order=order, user=clerk, lines=entries)
    assert snapshot() == before


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ({"quantity": 0}, "line 1: quantity must be greater than zero"),
        ({"quantity": "-1"}, "greater than zero"),
        ({"quantity": None}, "quantity is required"),
        ({"PRICE": "-0.01"}, "PRICE must be zero or more"),
        ({"PRICE": "x"}, "not a number"),
        ({"PRICE": "0.00001"}, "decimal places"),
        ({"DATE": "next tuesday"}, "not a date"),
        ({"DATE": "2026-13-01"}, "not a date"),
        ({"item": None}, "item is required"),
    ],
)
def test_bad_order_lines_are_refused_and_nothing_is_written(kind, bolt, next_week, line, message):
    names = {"PRICE": kind.price, "DATE": kind.date}
    good = {"item": bolt, "quantity": 1, kind.price: 1, kind.date: next_week}
    line = {names.get(name, name): value for name, value in line.items()}
    before = snapshot()
    with pytest.raises(InvalidOrderLine, match=message.replace("PRICE", kind.price)):
        kind.create([{**good, **line}])
    assert snapshot() == before


def test_an_order_without_lines_is_refused(kind):
    with pytest.raises(InvalidOrderLine, match="at least one line"):
        kind.create([])


def test_a_draft_can_be_cancelled(kind, order, clerk):
    kind.cancel(order=order, user=clerk)
    order.refresh_from_db()
    assert order.status == "cancelled"


def test_the_history_is_read_from_the_audit_log(kind, order, clerk):
    kind.release(order=order, user=clerk)
    kind.cancel(order=order, user=clerk, reason="not needed")
    history = [(event.action, event.detail, event.username) for event in selectors.order_history(order)]
    released = statuses(kind)[1]
    assert history[0] == ("cancelled", "not needed", "clerk")
    assert [action for action, _, _ in history] == ["cancelled", released, "created"]
    assert AuditEntry.objects.filter(object_type=order._meta.label_lower, object_id=str(order.pk)).count() == 3


def test_order_events_are_no_longer_written(kind, order, clerk):
    kind.release(order=order, user=clerk)
    kind.cancel(order=order, user=clerk)
    assert not OrderEvent.objects.exists()
