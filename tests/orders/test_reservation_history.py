"""Σ reservation entries == reserved for every level after the orders' reserve, ship, cancel and return sequences."""

from inventory.selectors import reservation_mismatches
from inventory.services import stock_receive
from orders import services


def test_reservation_history_adds_up_after_confirm_ship_cancel_and_return(customer, bolt, nut, store, clerk, next_week):
    stock_receive(item=bolt, location=store, quantity=30, user=clerk)
    stock_receive(item=nut, location=store, quantity=5, user=clerk)
    lines = [
        {"item": bolt, "quantity": 20, "unit_price": 1, "promised_date": next_week},
        {"item": nut, "quantity": 8, "unit_price": 1, "promised_date": next_week},
    ]
    first = services.sales_order_create(customer=customer, location=store, user=clerk, lines=lines)
    second = services.sales_order_create(customer=customer, location=store, user=clerk, lines=lines)
    services.sales_order_confirm(order=first, user=clerk)
    services.sales_order_confirm(order=second, user=clerk)
    bolt_line, nut_line = first.lines.order_by("pk")
    shipment = services.shipment_create(
        order=first, lines=[{"line": bolt_line, "quantity": 15}, {"line": nut_line, "quantity": 5}], user=clerk
    )
    services.sales_order_cancel(order=second, user=clerk)
    services.sales_order_reserve(order=first, user=clerk)
    services.customer_return_create(
        shipment=shipment, lines=[{"line": shipment.lines.order_by("pk").first(), "quantity": 4}], user=clerk
    )
    services.sales_order_reserve(order=first, user=clerk)
    services.shipment_create(order=first, lines=[{"line": bolt_line, "quantity": 9}], user=clerk)
    assert reservation_mismatches() == []
