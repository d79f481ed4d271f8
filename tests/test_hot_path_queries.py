"""Query counts of the hot endpoints, pinned (bench/request_cost.py measures their CPU): a new query on one of these
paths is a design decision, made here on purpose. Host routing's own queries (a registry re-check once a second per
process, a route not cached yet) depend on the routing cache's state and are left out of the count."""

import datetime

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test.utils import CaptureQueriesContext

from access.authentication import tenant_claims
from access.jwt_keys import TenantRefreshToken
from inventory.services import stock_receive
from orders.services import sales_order_create
from tests.inventory.conftest import logged_in
from tests.inventory.factories import ItemFactory, LocationFactory
from tests.orders.factories import CustomerFactory

ROUTING_TABLES = ("tenants_registry_version", "tenants_domain")


@pytest.fixture
def stocked(in_acme):
    """Items with stock at a location and a sales order of two lines, as the admin `boss`."""
    boss = get_user_model().objects.get(username="boss")
    location = LocationFactory(code="HOT")
    items = [ItemFactory(sku=f"HOT-{n}") for n in range(4)]
    for item in items:
        stock_receive(item=item, location=location, quantity=5, user=boss)
    promised = datetime.date.today() + datetime.timedelta(days=7)
    order = sales_order_create(
        customer=CustomerFactory(),
        location=location,
        user=boss,
        lines=[{"item": item, "quantity": 1, "unit_price": "2.00", "promised_date": promised} for item in items[:2]],
    )
    return {"item": items[0], "location": location, "order": order, "boss": boss}


@pytest.fixture
def jwt_client(acme, acme_client, stocked):
    refresh = TenantRefreshToken.for_user(stocked["boss"])
    for claim, value in tenant_claims(acme).items():
        refresh[claim] = value
    acme_client.defaults["HTTP_AUTHORIZATION"] = f"Bearer {refresh.access_token}"
    return acme_client


def own_queries(client, method: str, url: str, expected_status: int, **body) -> int:
    client.get("/healthz")  # the route cached
    with CaptureQueriesContext(connection) as captured:
        response = client.post(url, body, content_type="application/json") if method == "POST" else client.get(url)
    assert response.status_code == expected_status, response.content[:300]
    return sum(not any(table in q["sql"] for table in ROUTING_TABLES) for q in captured.captured_queries)


def test_the_item_list_costs_the_user_and_the_page(jwt_client):
    assert own_queries(jwt_client, "GET", "/api/v1/items/", 200) == 2


def test_an_item_list_longer_than_a_page_costs_a_count_on_top(jwt_client, monkeypatch):
    from core.api_reads import PageNumberPagination

    monkeypatch.setattr(PageNumberPagination, "page_size", 2)
    assert own_queries(jwt_client, "GET", "/api/v1/items/", 200) == 3


def test_a_filtered_item_list_costs_the_user_and_the_page(jwt_client):
    assert own_queries(jwt_client, "GET", "/api/v1/items/?kind=component&uom=pcs", 200) == 2


def test_the_stock_level_list_costs_the_user_and_the_page(jwt_client):
    assert own_queries(jwt_client, "GET", "/api/v1/stock-levels/", 200) == 2


def test_the_stock_move_list_costs_the_user_and_the_page(jwt_client):
    assert own_queries(jwt_client, "GET", "/api/v1/moves/", 200) == 2


def test_posting_a_stock_move_costs_four_queries(jwt_client, stocked):
    receipt = {"item": stocked["item"].pk, "quantity": "1", "reason": "receipt", "to_location": stocked["location"].pk}
    assert own_queries(jwt_client, "POST", "/api/v1/moves/", 201, **receipt) == 4


def test_the_sales_order_list_costs_the_user_the_page_and_the_lines(jwt_client):
    assert own_queries(jwt_client, "GET", "/api/v1/sales-orders/", 200) == 3


def test_a_sales_order_costs_the_user_the_order_and_its_lines(jwt_client, stocked):
    assert own_queries(jwt_client, "GET", f"/api/v1/sales-orders/{stocked['order'].pk}/", 200) == 3


def test_the_dashboard_costs_nine_queries(acme, acme_client, stocked):
    # session, user, order line totals, orders per status, late shipments, reorder candidates (none short here),
    # work orders by state, stock value now and its daily changes
    assert own_queries(logged_in(acme_client, acme), "GET", "/", 200) == 9


def test_the_item_page_costs_seven_queries(acme, acme_client, stocked):
    url = f"/inventory/items/{stocked['item'].pk}/"
    assert (
        own_queries(logged_in(acme_client, acme), "GET", url, 200) == 7
    )  # session, user, item, levels, conversions, moves page + count


def test_a_scan_costs_the_session_the_user_and_the_lookup(acme, acme_client, stocked):
    assert own_queries(logged_in(acme_client, acme), "GET", "/inventory/scan/?sku=HOT-1", 302) == 3
