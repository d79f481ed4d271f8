"""Planning input bounded at the door, an MRP that survives rows saved before the bounds, and strict completion."""

import datetime
from decimal import Decimal

import pytest

from inventory.models import Item, Location, StockLevel
from inventory.services import stock_receive
from orders.models import SalesOrderLine
from orders.services import sales_order_confirm, sales_order_create
from planning.engine import mrp_report
from production.forms import WorkOrderForm
from production.models import WorkOrder
from production.services import ProductionError, work_order_create, work_order_release, work_order_start
from tests.inventory.conftest import logged_in
from tests.orders.factories import CustomerFactory

D = Decimal
BASE = "/api/v1/production"
NEXT_YEAR = datetime.date.today() + datetime.timedelta(days=365)


@pytest.fixture
def acme_api(acme, acme_client):
    return logged_in(acme_client, acme)


def post(client, url, payload=None):
    return client.post(url, payload or {}, content_type="application/json")


@pytest.fixture
def pump(item, make_bom, planner):
    pump, housing = item("PUMP"), item("HOUSING")
    make_bom(pump, (housing, 2))
    return pump, housing


# --- MRP never falls over on a legacy row ----------------------------------------------------------------------------
def test_mrp_survives_an_item_saved_with_a_million_days_of_lead_time(acme_api, pump, planner):
    product, housing = pump
    work_order_create(item=product, quantity=3, due_date=NEXT_YEAR, user=planner)
    Item.objects.filter(pk__in=[product.pk, housing.pk]).update(lead_time_days=1_000_000)  # before the bound
    lines = {line.sku: line for line in mrp_report()}
    assert lines["HOUSING"].suggested_date == datetime.date.min
    assert lines["HOUSING"].late
    response = acme_api.get(f"{BASE}/mrp/")
    assert response.status_code == 200
    assert {line["sku"] for line in response.json()} == {"HOUSING"}


def test_mrp_survives_a_confirmed_line_promised_for_year_one(acme_api, pump, planner):
    product = pump[0]
    product.lead_time_days = 5
    product.save()
    order = sales_order_create(
        customer=CustomerFactory(code="C-MRP"),
        lines=[{"item": product, "quantity": 2, "unit_price": 1, "promised_date": NEXT_YEAR}],
        user=planner,
    )
    sales_order_confirm(order=order, user=planner)
    SalesOrderLine.objects.filter(order=order).update(promised_date=datetime.date(1, 1, 1))  # before the bound
    response = acme_api.get(f"{BASE}/mrp/")
    assert response.status_code == 200
    # Past-due demand is planned for today (a time-phased plan has no bucket before today), not in year one.
    assert {line["sku"]: line["need_date"] for line in response.json()}["PUMP"] == datetime.date.today().isoformat()


# --- Bounded at the door ---------------------------------------------------------------------------------------------
def test_a_lead_time_of_a_million_days_is_a_400_on_the_item(acme_api, in_acme):
    response = post(acme_api, "/api/v1/items/", {"sku": "SLOW", "name": "Slow", "uom": "pcs", "lead_time_days": 10**6})
    assert response.status_code == 400
    assert "3650" in response.json()["lead_time_days"][0]
    assert not Item.objects.filter(sku="SLOW").exists()


def test_a_lead_time_in_unicode_digits_is_a_400(acme_api, in_acme):
    response = post(
        acme_api, "/api/v1/items/", {"sku": "SLOW", "name": "Slow", "uom": "pcs", "lead_time_days": "\u0665"}
    )
    assert response.status_code == 400
    assert "lead_time_days" in response.json()


def test_a_work_order_due_in_year_one_is_a_400_on_due_date(acme_api, pump):
    response = post(acme_api, f"{BASE}/work-orders/", {"item": pump[0].pk, "quantity": "1", "due_date": "0001-01-01"})
    assert response.status_code == 400
    assert "2000-01-01" in response.json()["due_date"][0]
    assert not WorkOrder.objects.exists()


def test_the_work_order_service_refuses_a_due_date_out_of_range(pump, planner):
    with pytest.raises(ProductionError, match="between 2000-01-01 and 2199-12-31"):
        work_order_create(item=pump[0], quantity=1, due_date=datetime.date(9999, 12, 31), user=planner)


def test_the_work_order_form_refuses_a_due_date_out_of_range(pump):
    form = WorkOrderForm(data={"item": "PUMP", "quantity": "1", "due_date": "0001-01-01"})
    assert not form.is_valid()
    assert "due_date" in form.errors


# --- Completion takes a quantity or none, never "" -------------------------------------------------------------------
@pytest.fixture
def started(pump, planner):
    product, housing = pump
    receiving = Location.objects.get(is_default_receiving=True)
    stock_receive(item=housing, location=receiving, quantity=10, user=planner)
    order = work_order_create(item=product, quantity=4, due_date=NEXT_YEAR, user=planner)
    work_order_release(work_order=order, user=planner)
    return work_order_start(work_order=order, user=planner)


@pytest.mark.parametrize("quantity", ["", "  ", "\u0661", "-0", "1e0"])
def test_completing_with_a_blank_or_sloppy_quantity_is_a_400_and_completes_nothing(acme_api, started, quantity):
    response = post(acme_api, f"{BASE}/work-orders/{started.pk}/complete/", {"quantity": quantity})
    assert response.status_code == 400
    assert "quantity" in response.json()
    fresh = WorkOrder.objects.get(pk=started.pk)
    assert (fresh.state, fresh.completed_quantity) == (WorkOrder.State.IN_PROGRESS, D(0))
    assert not StockLevel.objects.filter(item=started.item, on_hand__gt=0).exists()


def test_completing_without_a_quantity_still_completes_what_is_left(acme_api, started):
    response = post(acme_api, f"{BASE}/work-orders/{started.pk}/complete/", {})
    assert response.status_code == 200
    assert response.json()["state"] == "done"
