"""Each dashboard figure links to a list that shows the same count: one selector defines "open" for both."""

import datetime
import re
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone

from inventory.models import Location
from inventory.services import stock_receive
from orders import services as order_services
from tests.inventory.factories import ItemFactory
from tests.orders.factories import CustomerFactory, SupplierFactory
from tests.production.factories import WorkOrderFactory

KPI = re.compile(r'<a class="kpi[^"]*" id="([\w-]+)" data-value="(\d+)" href="([^"]+)"')
OPEN_LINK = re.compile(r'<a id="(open-(?:sales|purchase)-orders)" href="([^"]+)">(\d+)</a>')


@pytest.fixture
def boss_client(acme, acme_client):
    acme_client.post("/accounts/login/", {"username": "boss", "password": "correct-horse-battery"})
    return acme_client


@pytest.fixture
def plant(in_acme):
    """Sales orders confirmed, partly shipped and draft; purchase orders sent, partly received; work orders."""
    boss = get_user_model().objects.get(username="boss")
    receiving = Location.objects.get(is_default_receiving=True)
    customer, supplier = CustomerFactory(), SupplierFactory()
    yesterday = timezone.localdate() - datetime.timedelta(days=1)
    for n in range(3):
        item = ItemFactory(reorder_point=Decimal(50), reorder_quantity=Decimal(10))
        stock_receive(item=item, location=receiving, quantity=5, user=boss)
        WorkOrderFactory(item=item, state=["draft", "released", "done"][n])
        line = {"item": item, "quantity": 3, "unit_price": "9.50", "promised_date": yesterday}
        order = order_services.sales_order_create(customer=customer, lines=[line], user=boss)
        if n < 2:
            order = order_services.sales_order_confirm(order=order, user=boss)
        if n == 0:
            order_services.shipment_create(order=order, lines=[{"line": order.lines.get(), "quantity": 1}], user=boss)
        purchase = order_services.purchase_order_create(
            supplier=supplier, lines=[{"item": item, "quantity": 4, "unit_cost": "2"}], user=boss
        )
        if n < 2:
            purchase = order_services.purchase_order_send(order=purchase, user=boss)
        if n == 0:
            order_services.receipt_create(
                order=purchase, lines=[{"line": purchase.lines.get(), "quantity": 1}], user=boss, location=receiving
            )


def _list_count(client, url: str) -> int:
    context = client.get(url).context
    if "page" in context:
        return context["page"].paginator.count
    return len(context["rows"])


def test_every_kpi_links_to_a_list_of_the_same_count(plant, boss_client):
    body = boss_client.get("/").content.decode()
    kpis = KPI.findall(body)
    assert len(kpis) == 4
    for name, value, url in kpis:
        assert _list_count(boss_client, url.replace("&amp;", "&")) == int(value), name


def test_open_orders_count_partly_delivered_orders_and_their_links_list_them(plant, boss_client):
    body = boss_client.get("/").content.decode()
    links = {name: (url, int(value)) for name, url, value in OPEN_LINK.findall(body)}
    assert links["open-sales-orders"][1] == 2  # one confirmed, one partly shipped
    assert links["open-purchase-orders"][1] == 2  # one sent, one partly received
    for url, value in links.values():
        assert _list_count(boss_client, url) == value
