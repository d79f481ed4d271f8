"""Purchase orders through the services: receipts against the ledger, the over-receipt tolerance, refusals."""

import datetime
from decimal import Decimal

import pytest

from inventory.models import StockMove
from inventory.selectors import ledger_balance
from orders import services
from orders.models import PurchaseOrder
from orders.services import OrderError, OverReceipt
from tests.orders.factories import CustomerFactory
from tests.orders.support import level, snapshot

D = Decimal


@pytest.fixture
def order(supplier, bolt, nut, clerk, next_week):
    """A draft purchase order for 10 bolts and 5 nuts."""
    return services.purchase_order_create(
        supplier=supplier,
        user=clerk,
        lines=[
            {"item": bolt, "quantity": 10, "unit_cost": "0.20", "expected_date": next_week},
            {"item": nut, "quantity": 5, "unit_cost": "0.05", "expected_date": next_week},
        ],
    )


@pytest.fixture
def sent(order, clerk):
    return services.purchase_order_send(order=order, user=clerk)


def lines_of(order):
    return list(order.lines.order_by("pk"))


def test_expected_date_defaults_to_today_plus_the_suppliers_lead_time(supplier, bolt, today):
    order = services.purchase_order_create(
        supplier=supplier, user=None, lines=[{"item": bolt, "quantity": 1, "unit_cost": 1}]
    )
    assert order.lines.get().expected_date == today + datetime.timedelta(days=10)


def test_full_lifecycle_receives_in_two_receipts_and_matches_the_ledger(sent, bolt, nut, store, receiving, clerk):
    bolt_line, nut_line = lines_of(sent)
    first = services.receipt_create(order=sent, user=clerk, location=store, lines=[{"line": bolt_line, "quantity": 4}])
    sent.refresh_from_db()
    assert sent.status == PurchaseOrder.Status.PARTIALLY_RECEIVED
    assert level(bolt, store) == (D(4), D(0))

    second = services.receipt_create(
        order=sent, user=clerk, lines=[{"line": bolt_line.pk, "quantity": 6}, {"line": nut_line, "quantity": 5}]
    )
    sent.refresh_from_db()
    assert sent.status == PurchaseOrder.Status.RECEIVED and sent.closed_at is not None
    assert second.location == receiving
    assert [line.received_quantity for line in lines_of(sent)] == [D(10), D(5)]
    moves = StockMove.objects.filter(reason=StockMove.Reason.RECEIPT).order_by("pk")
    assert [(m.item, m.quantity, m.from_location, m.to_location, m.source) for m in moves] == [
        (bolt, D(4), None, store, first),
        (bolt, D(6), None, receiving, second),
        (nut, D(5), None, receiving, second),
    ]
    assert level(bolt, receiving) == (D(6), D(0)) and level(nut, receiving) == (D(5), D(0))
    assert ledger_balance(item=bolt) == D(10)


def test_over_receipt_is_refused_without_a_tolerance(sent, clerk):
    bolt_line = lines_of(sent)[0]
    services.receipt_create(order=sent, user=clerk, lines=[{"line": bolt_line, "quantity": 8}])
    before = snapshot()
    with pytest.raises(OverReceipt, match=r"2 may still be received on PO-.*, 3 delivered"):
        services.receipt_create(order=sent, user=clerk, lines=[{"line": bolt_line, "quantity": 3}])
    assert snapshot() == before


def test_over_receipt_within_the_tolerance_is_accepted(sent, clerk, settings):
    settings.ORDERS_OVER_RECEIPT_TOLERANCE_PERCENT = "10"
    bolt_line = lines_of(sent)[0]
    services.receipt_create(order=sent, user=clerk, lines=[{"line": bolt_line, "quantity": 11}])
    bolt_line.refresh_from_db()
    assert bolt_line.received_quantity == D(11)
    assert bolt_line.open_quantity == D(0)
    sent.refresh_from_db()
    assert sent.status == PurchaseOrder.Status.PARTIALLY_RECEIVED  # the nuts are still open


def test_over_receipt_beyond_the_tolerance_is_refused(sent, clerk, settings):
    settings.ORDERS_OVER_RECEIPT_TOLERANCE_PERCENT = "10"
    before = snapshot()
    with pytest.raises(OverReceipt, match=r"11 may still be received .*10% over-receipt tolerance\), 12 delivered"):
        services.receipt_create(order=sent, user=clerk, lines=[{"line": lines_of(sent)[0], "quantity": "12"}])
    assert snapshot() == before


def test_a_bad_line_refuses_the_whole_receipt(sent, bolt, clerk):
    bolt_line, nut_line = lines_of(sent)
    before = snapshot()
    with pytest.raises(OverReceipt):
        services.receipt_create(
            order=sent, user=clerk, lines=[{"line": bolt_line, "quantity": 10}, {"line": nut_line, "quantity": 6}]
        )
    assert snapshot() == before


def test_cancelling_a_partially_received_order_keeps_its_receipts(sent, bolt, receiving, clerk):
    services.receipt_create(order=sent, user=clerk, lines=[{"line": lines_of(sent)[0], "quantity": 4}])
    services.purchase_order_cancel(order=sent, user=clerk)
    sent.refresh_from_db()
    assert sent.status == PurchaseOrder.Status.CANCELLED
    assert level(bolt, receiving) == (D(4), D(0))


def test_only_a_supplier_can_be_bought_from(in_acme, bolt):
    with pytest.raises(OrderError, match="is not an active supplier"):
        services.purchase_order_create(
            supplier=CustomerFactory(), user=None, lines=[{"item": bolt, "quantity": 1, "unit_cost": 1}]
        )


def test_a_partner_must_be_a_customer_or_a_supplier(in_acme):
    with pytest.raises(OrderError, match="tick at least one"):
        services.partner_create(code="X", name="Nobody", user=None)


def test_receiving_into_an_inactive_location_is_refused(sent, store, clerk):
    store.is_active = False
    store.save()
    before = snapshot()
    with pytest.raises(OrderError, match="location STORE is inactive") as refused:
        services.receipt_create(
            order=sent, user=clerk, location=store, lines=[{"line": lines_of(sent)[0], "quantity": 1}]
        )
    assert refused.value.field == "location"
    assert snapshot() == before


def test_receipts_move_the_moving_average_to_the_purchase_price(sent, bolt, clerk, supplier, next_week):
    from inventory.models import ItemValuation

    bolt_line = lines_of(sent)[0]
    services.receipt_create(order=sent, user=clerk, lines=[{"line": bolt_line, "quantity": 10}])
    dearer = services.purchase_order_send(
        order=services.purchase_order_create(
            supplier=supplier,
            user=clerk,
            lines=[{"item": bolt, "quantity": 30, "unit_cost": "0.40", "expected_date": next_week}],
        ),
        user=clerk,
    )
    services.receipt_create(order=dearer, user=clerk, lines=[{"line": lines_of(dearer)[0], "quantity": 30}])
    # (10 x 0.20 + 30 x 0.40) / 40 = (2.00 + 12.00) / 40 = 0.35
    row = ItemValuation.objects.get(item=bolt)
    assert (row.quantity, row.average_cost, row.value) == (D(40), D("0.35"), D("14.00"))
