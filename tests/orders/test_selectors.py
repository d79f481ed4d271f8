"""Open demand and supply for material requirements and inventory's reorder report; dashboard and lateness reports."""

import datetime
from decimal import Decimal

from inventory.selectors import reorder_report
from inventory.services import stock_receive
from inventory.supply import on_order_quantities
from orders import selectors, services
from orders.selectors import OpenLine
from tests.orders.factories import ItemFactory, SupplierFactory

D = Decimal
DAY = datetime.timedelta(days=1)


def sell(customer, store, item, quantity, promised, *, confirm=True, price=1):
    order = services.sales_order_create(
        customer=customer,
        location=store,
        user=None,
        lines=[{"item": item, "quantity": quantity, "unit_price": price, "promised_date": promised}],
    )
    return services.sales_order_confirm(order=order, user=None) if confirm else order


def buy(supplier, item, quantity, expected, *, send=True, cost=1):
    order = services.purchase_order_create(
        supplier=supplier,
        user=None,
        lines=[{"item": item, "quantity": quantity, "unit_cost": cost, "expected_date": expected}],
    )
    return services.purchase_order_send(order=order, user=None) if send else order


def test_open_sales_demand_is_the_unreserved_unshipped_rest_of_confirmed_orders(customer, bolt, store, next_week):
    stock_receive(item=bolt, location=store, quantity=3, user=None)
    order = sell(customer, store, bolt, 10, next_week)
    sell(customer, store, bolt, 99, next_week, confirm=False)  # a draft is no demand
    assert selectors.open_sales_demand() == [OpenLine(bolt.pk, D(7), next_week, order.number)]


def test_shipped_and_cancelled_orders_are_no_demand(customer, bolt, store, next_week):
    stock_receive(item=bolt, location=store, quantity=5, user=None)
    shipped = sell(customer, store, bolt, 5, next_week)
    services.shipment_create(order=shipped, user=None, lines=[{"line": shipped.lines.get(), "quantity": 5}])
    services.sales_order_cancel(order=sell(customer, store, bolt, 4, next_week), user=None)
    assert selectors.open_sales_demand() == []


def test_open_purchase_supply_is_the_unreceived_rest_of_sent_orders(supplier, bolt, next_week):
    order = buy(supplier, bolt, 10, next_week)
    buy(supplier, bolt, 50, next_week, send=False)  # a draft is not on order
    services.receipt_create(order=order, user=None, lines=[{"line": order.lines.get(), "quantity": 4}])
    assert selectors.open_purchase_supply() == [OpenLine(bolt.pk, D(6), next_week, order.number)]


def test_open_purchase_quantities_are_on_order_in_the_reorder_report(supplier, next_week):
    item = ItemFactory(reorder_point=D(20), reorder_quantity=D(5))
    buy(supplier, item, 8, next_week)
    assert on_order_quantities([item.pk]) == {item.pk: D(8)}
    [line] = [line for line in reorder_report() if line.item.pk == item.pk]
    assert (line.on_order, line.suggested_quantity) == (D(8), D(12))


def test_sales_demand_and_purchase_supply_are_registered_with_material_requirements(
    customer, supplier, bolt, store, next_week
):
    from planning import sources

    order = sell(customer, store, bolt, 10, next_week)
    purchase = buy(supplier, bolt, 6, next_week)
    [demand] = sources.registered(sources.Kind.DEMAND)["sales_orders"]()
    [supply] = sources.registered(sources.Kind.PURCHASED)["purchase_orders"]()
    assert demand == sources.DemandLine(bolt.pk, D(10), next_week, sources.Peg("orders.salesorder", None, order.number))
    assert supply == sources.SupplyLine(
        bolt.pk, D(6), next_week, sources.Peg("orders.purchaseorder", None, purchase.number)
    )


def test_dashboard_counts_values_and_due_dates(customer, supplier, bolt, nut, store, today):
    stock_receive(item=bolt, location=store, quantity=10, user=None)
    shipping = sell(customer, store, bolt, 4, today + 2 * DAY, price="2.50")
    services.shipment_create(order=shipping, user=None, lines=[{"line": shipping.lines.get(), "quantity": 1}])
    sell(customer, store, nut, 2, today - DAY, price=3)  # late
    sell(customer, store, nut, 1, today + 30 * DAY, price=100, confirm=False)  # a draft has no open value
    buy(supplier, nut, 10, today + 6 * DAY, cost="0.5")
    board = selectors.dashboard(today=today)
    assert board.sales_counts["partially_shipped"] == 1
    assert board.sales_counts["confirmed"] == 1
    assert board.sales_counts["draft"] == 1
    assert board.purchase_counts["sent"] == 1
    assert board.open_sales_value == D("13.50")  # 3 x 2.50 + 2 x 3
    assert board.open_purchase_value == D("5.00")
    assert (board.sales_due_this_week, board.late_sales_lines) == (1, 1)
    assert (board.purchases_due_this_week, board.late_purchase_lines) == (1, 0)


def test_late_shipments_lists_open_lines_past_their_promised_date_with_days_late(customer, bolt, nut, store, today):
    stock_receive(item=bolt, location=store, quantity=10, user=None)
    late = sell(customer, store, bolt, 5, today - 3 * DAY)
    services.shipment_create(order=late, user=None, lines=[{"line": late.lines.get(), "quantity": 2}])
    done = sell(customer, store, nut, 1, today - 10 * DAY)
    services.sales_order_cancel(order=done, user=None)
    sell(customer, store, nut, 1, today)  # due today: not late yet
    [row] = selectors.late_shipments(today=today)
    assert (row.line.order, row.open_quantity, row.days_late) == (late, D(3), 3)


def test_supplier_lateness_counts_late_receipts_and_overdue_open_lines(in_acme, bolt, today):
    slow, prompt = SupplierFactory(code="SLOW"), SupplierFactory(code="PROMPT")
    for days_ago in (4, 2):
        order = buy(slow, bolt, 1, today - days_ago * DAY)
        services.receipt_create(order=order, user=None, lines=[{"line": order.lines.get(), "quantity": 1}])
    buy(slow, bolt, 1, today - DAY)  # overdue, still open
    on_time = buy(prompt, bolt, 1, today + DAY)
    services.receipt_create(order=on_time, user=None, lines=[{"line": on_time.lines.get(), "quantity": 1}])
    report = {row.supplier.code: row for row in selectors.supplier_lateness(today=today)}
    assert (report["SLOW"].receipt_lines, report["SLOW"].late_receipt_lines) == (2, 2)
    assert (report["SLOW"].average_days_late, report["SLOW"].open_overdue_lines) == (D(3), 1)
    assert report["SLOW"].on_time_percent == D(0)
    assert (report["PROMPT"].late_receipt_lines, report["PROMPT"].on_time_percent) == (0, D(100))
    assert list(report) == ["SLOW", "PROMPT"]


def test_material_requirements_net_open_sales_against_stock_and_open_purchases(customer, supplier, bolt, store, today):
    from planning.engine import mrp_report

    stock_receive(item=bolt, location=store, quantity=3, user=None)
    sell(customer, store, bolt, 10, today + 14 * DAY)  # 3 reserved: 7 still needed
    buy(supplier, bolt, 4, today + 7 * DAY)
    [line] = [line for line in mrp_report(today=today) if line.sku == "BOLT-10"]
    assert (line.gross_requirement, line.available, line.open_supply, line.shortage) == (D(7), D(0), D(4), D(3))
