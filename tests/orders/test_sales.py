"""Sales orders through the services: reservations, shipments against the ledger, and every refusal."""

from decimal import Decimal

import pytest

from inventory.models import StockMove
from inventory.selectors import ledger_balance
from inventory.services import InsufficientStock, stock_receive
from orders import selectors, services
from orders.models import SalesOrder
from orders.services import InvalidOrderLine, InvalidTransition, OrderError, OverShipment
from tests.orders.factories import CustomerFactory, ItemFactory, SupplierFactory
from tests.orders.support import level, snapshot

D = Decimal


@pytest.fixture
def order(customer, bolt, nut, store, clerk, next_week):
    """A draft order for 10 bolts and 4 nuts, shipped from STORE."""
    return services.sales_order_create(
        customer=customer,
        location=store,
        user=clerk,
        lines=[
            {"item": bolt, "quantity": 10, "unit_price": "2.50", "promised_date": next_week},
            {"item": nut, "quantity": "4", "unit_price": D("0.10"), "promised_date": next_week},
        ],
    )


def lines_of(order):
    return list(order.lines.order_by("pk"))


def another_order(customer, bolt, store, clerk, next_week):
    """A second draft for 5 bolts from the same store."""
    line = {"item": bolt, "quantity": 5, "unit_price": 1, "promised_date": next_week}
    return services.sales_order_create(customer=customer, location=store, user=clerk, lines=[line])


def test_create_makes_a_draft_with_its_lines(order, bolt, clerk):
    assert order.status == SalesOrder.Status.DRAFT
    bolt_line, nut_line = lines_of(order)
    assert (bolt_line.item, bolt_line.quantity, bolt_line.unit_price) == (bolt, D(10), D("2.5"))
    assert nut_line.reserved_quantity == nut_line.shipped_quantity == 0
    [created] = selectors.order_history(order)
    assert (created.action, created.detail, created.username) == ("created", "2 line(s)", "clerk")


def test_create_ships_from_the_default_receiving_location_when_none_is_given(customer, bolt, receiving, next_week):
    order = services.sales_order_create(
        customer=customer, user=None, lines=[{"item": bolt, "quantity": 1, "unit_price": 1, "promised_date": next_week}]
    )
    assert order.location == receiving


def test_confirm_reserves_what_is_available_and_leaves_the_rest_open(order, bolt, nut, store, clerk):
    stock_receive(item=bolt, location=store, quantity=6, user=clerk)
    services.sales_order_confirm(order=order, user=clerk)
    order.refresh_from_db()
    bolt_line, nut_line = lines_of(order)
    assert order.status == SalesOrder.Status.CONFIRMED
    assert (bolt_line.reserved_quantity, nut_line.reserved_quantity) == (D(6), D(0))
    assert level(bolt, store) == (D(6), D(6))


def test_confirm_does_not_take_stock_reserved_for_another_order(order, customer, bolt, store, clerk, next_week):
    stock_receive(item=bolt, location=store, quantity=12, user=clerk)
    services.sales_order_confirm(order=order, user=clerk)
    other = another_order(customer, bolt, store, clerk, next_week)
    services.sales_order_confirm(order=other, user=clerk)
    assert other.lines.get().reserved_quantity == D(2)
    assert level(bolt, store) == (D(12), D(12))


def test_full_lifecycle_ships_in_two_shipments_and_matches_the_ledger(order, bolt, nut, store, clerk):
    stock_receive(item=bolt, location=store, quantity=15, user=clerk)
    stock_receive(item=nut, location=store, quantity=4, user=clerk)
    services.sales_order_confirm(order=order, user=clerk)
    bolt_line, nut_line = lines_of(order)

    first = services.shipment_create(order=order, user=clerk, lines=[{"line": bolt_line, "quantity": 6}])
    order.refresh_from_db()
    assert order.status == SalesOrder.Status.PARTIALLY_SHIPPED
    assert level(bolt, store) == (D(9), D(4))

    second = services.shipment_create(
        order=order,
        user=clerk,
        reference="DN-2",
        lines=[{"line": bolt_line.pk, "quantity": 4}, {"line": nut_line, "quantity": 4}],
    )
    order.refresh_from_db()
    assert order.status == SalesOrder.Status.SHIPPED
    assert order.closed_at is not None
    bolt_line, nut_line = lines_of(order)
    assert (bolt_line.shipped_quantity, bolt_line.reserved_quantity) == (D(10), D(0))
    assert (nut_line.shipped_quantity, nut_line.reserved_quantity) == (D(4), D(0))

    moves = StockMove.objects.filter(reason=StockMove.Reason.SHIPMENT).order_by("pk")
    assert [(m.item, m.quantity, m.from_location, m.to_location) for m in moves] == [
        (bolt, D(6), store, None),
        (bolt, D(4), store, None),
        (nut, D(4), store, None),
    ]
    assert [m.source for m in moves] == [first, second, second]
    assert {line.move for line in second.lines.all()} == set(moves[1:])
    assert level(bolt, store) == (D(5), D(0)) and level(nut, store) == (D(0), D(0))
    for item in (bolt, nut):
        assert level(item, store)[0] == ledger_balance(item=item, location=store)


def test_shipment_takes_the_lines_reservation_first_then_available_stock(order, bolt, store, clerk):
    stock_receive(item=bolt, location=store, quantity=4, user=clerk)
    services.sales_order_confirm(order=order, user=clerk)
    stock_receive(item=bolt, location=store, quantity=6, user=clerk)  # arrives after the reservation
    bolt_line = lines_of(order)[0]
    services.shipment_create(order=order, user=clerk, lines=[{"line": bolt_line, "quantity": 7}])
    bolt_line.refresh_from_db()
    assert (bolt_line.reserved_quantity, bolt_line.shipped_quantity) == (D(0), D(7))
    assert level(bolt, store) == (D(3), D(0))


def test_shipment_cannot_take_stock_reserved_for_another_order(order, customer, bolt, store, clerk, next_week):
    first = another_order(customer, bolt, store, clerk, next_week)
    stock_receive(item=bolt, location=store, quantity=5, user=clerk)
    services.sales_order_confirm(order=first, user=clerk)
    services.sales_order_confirm(order=order, user=clerk)
    before = snapshot()
    with pytest.raises(InsufficientStock, match="0 available, 1 asked"):
        services.shipment_create(order=order, user=clerk, lines=[{"line": lines_of(order)[0], "quantity": 1}])
    assert snapshot() == before


def test_over_shipping_a_line_is_refused_and_nothing_is_written(order, bolt, store, clerk):
    stock_receive(item=bolt, location=store, quantity=20, user=clerk)
    services.sales_order_confirm(order=order, user=clerk)
    before = snapshot()
    with pytest.raises(OverShipment, match=r"10 still to ship on SO-.*, 11 asked"):
        services.shipment_create(order=order, user=clerk, lines=[{"line": lines_of(order)[0], "quantity": 11}])
    assert snapshot() == before


def test_shipping_more_than_on_hand_writes_nothing_even_for_the_lines_that_fit(order, bolt, nut, store, clerk):
    stock_receive(item=bolt, location=store, quantity=10, user=clerk)
    stock_receive(item=nut, location=store, quantity=1, user=clerk)
    services.sales_order_confirm(order=order, user=clerk)
    bolt_line, nut_line = lines_of(order)
    before = snapshot()
    with pytest.raises(InsufficientStock, match="NUT-10 at STORE has 1 available, 3 asked"):
        services.shipment_create(
            order=order, user=clerk, lines=[{"line": bolt_line, "quantity": 10}, {"line": nut_line, "quantity": 3}]
        )
    assert snapshot() == before


def test_shipping_a_fully_shipped_order_is_refused(order, bolt, nut, store, clerk):
    stock_receive(item=bolt, location=store, quantity=10, user=clerk)
    stock_receive(item=nut, location=store, quantity=4, user=clerk)
    services.sales_order_confirm(order=order, user=clerk)
    services.shipment_create(
        order=order, user=clerk, lines=[{"line": line, "quantity": line.quantity} for line in lines_of(order)]
    )
    with pytest.raises(InvalidTransition, match="is shipped"):
        services.shipment_create(order=order, user=clerk, lines=[{"line": lines_of(order)[0], "quantity": 1}])


def test_a_line_of_another_order_cannot_be_shipped(order, customer, bolt, store, clerk, next_week):
    other = another_order(customer, bolt, store, clerk, next_week)
    stock_receive(item=bolt, location=store, quantity=20, user=clerk)
    services.sales_order_confirm(order=order, user=clerk)
    services.sales_order_confirm(order=other, user=clerk)
    before = snapshot()
    with pytest.raises(InvalidOrderLine, match="not a line of order"):
        services.shipment_create(order=order, user=clerk, lines=[{"line": other.lines.get(), "quantity": 1}])
    assert snapshot() == before


def test_cancel_releases_the_reservations(order, bolt, store, clerk):
    stock_receive(item=bolt, location=store, quantity=8, user=clerk)
    services.sales_order_confirm(order=order, user=clerk)
    services.shipment_create(order=order, user=clerk, lines=[{"line": lines_of(order)[0], "quantity": 3}])
    assert level(bolt, store) == (D(5), D(5))
    services.sales_order_cancel(order=order, user=clerk, reason="customer changed mind")
    order.refresh_from_db()
    assert order.status == SalesOrder.Status.CANCELLED
    assert level(bolt, store) == (D(5), D(0))
    assert lines_of(order)[0].shipped_quantity == D(3)
    assert (selectors.order_history(order)[0].action, selectors.order_history(order)[0].detail) == (
        "cancelled",
        "customer changed mind",
    )


def test_only_an_active_customer_can_order(in_acme, bolt, store, next_week):
    line = {"item": bolt, "quantity": 1, "unit_price": 1, "promised_date": next_week}
    with pytest.raises(OrderError, match="is not an active customer"):
        services.sales_order_create(customer=SupplierFactory(), location=store, user=None, lines=[line])
    with pytest.raises(OrderError, match="is not an active customer"):
        services.sales_order_create(customer=CustomerFactory(is_active=False), location=store, user=None, lines=[line])


def test_an_inactive_item_cannot_be_ordered(customer, store, next_week):
    item = ItemFactory(is_active=False)
    with pytest.raises(InvalidOrderLine, match="is inactive"):
        services.sales_order_create(
            customer=customer,
            location=store,
            user=None,
            lines=[{"item": item, "quantity": 1, "unit_price": 1, "promised_date": next_week}],
        )


def test_reserve_tops_up_a_confirmed_order_when_stock_arrives(order, bolt, nut, store, clerk):
    stock_receive(item=bolt, location=store, quantity=4, user=clerk)
    services.sales_order_confirm(order=order, user=clerk)
    stock_receive(item=bolt, location=store, quantity=10, user=clerk)
    stock_receive(item=nut, location=store, quantity=1, user=clerk)
    services.sales_order_reserve(order=order, user=clerk)
    bolt_line, nut_line = lines_of(order)
    assert (bolt_line.reserved_quantity, nut_line.reserved_quantity) == (D(10), D(1))
    assert level(bolt, store) == (D(14), D(10))
    services.sales_order_reserve(order=order, user=clerk)  # nothing more to take: a no-op
    assert level(bolt, store) == (D(14), D(10))


@pytest.mark.parametrize("status", [SalesOrder.Status.DRAFT, SalesOrder.Status.SHIPPED, SalesOrder.Status.CANCELLED])
def test_reserve_is_refused_unless_the_order_is_open(order, clerk, status):
    SalesOrder.objects.filter(pk=order.pk).update(status=status)
    before = snapshot()
    with pytest.raises(InvalidTransition, match="only a confirmed or partially shipped order can reserve stock"):
        services.sales_order_reserve(order=order, user=clerk)
    assert snapshot() == before
