"""Order lists sort on the server by a whitelisted column; the sort survives filters and paging."""

from decimal import Decimal

from tests.inventory.conftest import logged_in
from tests.orders.factories import SalesOrderFactory, SalesOrderLineFactory


def _numbers(page: str) -> list[str]:
    return [part.split("<", 1)[0] for part in page.split('/">')[1:] if part.startswith("SO-")]


def test_sales_orders_sort_by_value_both_ways(acme, acme_client, in_acme):
    client = logged_in(acme_client, acme)
    orders = []
    for price in ("5", "50", "20"):
        order = SalesOrderFactory()
        SalesOrderLineFactory(order=order, quantity=Decimal(1), unit_price=Decimal(price))
        orders.append(order.number)
    page = client.get("/orders/sales/", {"sort": "-value"}).content.decode()
    assert _numbers(page) == [orders[1], orders[2], orders[0]]
    assert 'aria-sort="descending"' in page and 'href="?sort=value"' in page
    assert _numbers(client.get("/orders/sales/", {"sort": "value"}).content.decode()) == [
        orders[0],
        orders[2],
        orders[1],
    ]


def test_default_is_newest_first_and_an_unknown_sort_is_ignored(acme, acme_client, in_acme):
    client = logged_in(acme_client, acme)
    first, second = SalesOrderFactory(), SalesOrderFactory()
    for params in ({}, {"sort": "customer__password"}):
        assert _numbers(client.get("/orders/sales/", params).content.decode()) == [second.number, first.number]


def test_the_filter_form_keeps_the_sort(acme, acme_client, in_acme):
    client = logged_in(acme_client, acme)
    page = client.get("/orders/purchases/", {"sort": "status"}).content.decode()
    assert '<input type="hidden" name="sort" value="status">' in page
