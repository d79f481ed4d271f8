"""Orders input bounded and read strictly: planning dates, lead times, money and ids in plain digits."""

import datetime

import pytest

from orders import services
from orders.forms import ShipForm
from orders.models import Partner, PurchaseOrder, SalesOrder
from orders.services import InvalidOrderLine
from tests.inventory.conftest import logged_in

ARABIC_25 = "\u0662\u0665"  # Arabic-Indic digits two, five


@pytest.fixture
def api(acme, acme_client):
    return logged_in(acme_client, acme)


def post(client, url, data):
    return client.post(url, data, content_type="application/json")


def sales_body(customer, bolt, store, **line):
    return {
        "customer": customer.pk,
        "location": store.pk,
        "lines": [{"item": bolt.pk, "quantity": "10", "unit_price": "2.50", "promised_date": "2030-01-31", **line}],
    }


def test_a_line_promised_for_year_one_is_a_400_and_writes_nothing(api, customer, bolt, store):
    response = post(api, "/api/v1/sales-orders/", sales_body(customer, bolt, store, promised_date="0001-01-01"))
    assert response.status_code == 400
    assert "2000-01-01" in str(response.json()["lines"])
    assert not SalesOrder.objects.exists()


def test_the_sales_service_refuses_a_date_out_of_range(customer, bolt, clerk):
    line = {"item": bolt, "quantity": 1, "unit_price": 1, "promised_date": datetime.date(2300, 1, 1)}
    with pytest.raises(InvalidOrderLine, match="between 2000-01-01 and 2199-12-31"):
        services.sales_order_create(customer=customer, lines=[line], user=clerk)


def test_a_purchase_line_expected_in_year_one_is_a_400(api, supplier, bolt):
    body = {
        "supplier": supplier.pk,
        "lines": [{"item": bolt.pk, "quantity": "8", "unit_cost": "0.40", "expected_date": "0001-01-01"}],
    }
    response = post(api, "/api/v1/purchase-orders/", body)
    assert response.status_code == 400
    assert not PurchaseOrder.objects.exists()


def test_a_supplier_lead_time_of_a_million_days_is_a_400(api, in_acme):
    body = {"code": "S-SLOW", "name": "Slow", "is_supplier": True, "default_lead_time_days": 10**6}
    response = post(api, "/api/v1/partners/", body)
    assert response.status_code == 400
    assert "default_lead_time_days" in response.json()
    assert not Partner.objects.filter(code="S-SLOW").exists()


def test_a_purchase_order_for_a_supplier_saved_with_a_huge_lead_time_is_not_a_500(supplier, bolt, clerk):
    Partner.objects.filter(pk=supplier.pk).update(default_lead_time_days=10**8)  # saved before the bound
    supplier.refresh_from_db()
    order = services.purchase_order_create(
        supplier=supplier, lines=[{"item": bolt, "quantity": 1, "unit_cost": 1}], user=clerk
    )
    assert order.lines.get().expected_date > datetime.date.today()


def test_a_price_in_unicode_digits_is_a_400(api, customer, bolt, store):
    response = post(api, "/api/v1/sales-orders/", sales_body(customer, bolt, store, unit_price=ARABIC_25))
    assert response.status_code == 400
    assert "plain digits" in str(response.json()["lines"])
    assert not SalesOrder.objects.exists()


def test_the_money_parser_refuses_unicode_digits(customer, bolt, clerk):
    line = {"item": bolt, "quantity": 1, "unit_price": ARABIC_25, "promised_date": datetime.date(2030, 1, 1)}
    with pytest.raises(InvalidOrderLine, match="plain digits"):
        services.sales_order_create(customer=customer, lines=[line], user=clerk)


def _arabic(number: int) -> str:
    return "".join(chr(0x0660 + int(digit)) for digit in str(number))


@pytest.mark.parametrize("spell", [lambda pk: pk + 0.5, _arabic])
def test_a_fractional_or_unicode_customer_id_is_a_400(api, customer, bolt, store, spell):
    body = {**sales_body(customer, bolt, store), "customer": spell(customer.pk)}
    response = post(api, "/api/v1/sales-orders/", body)
    assert response.status_code == 400
    assert "customer" in response.json()
    assert not SalesOrder.objects.exists()


def test_the_ship_form_refuses_a_quantity_in_unicode_digits(customer, bolt, store, clerk):
    order = services.sales_order_create(
        customer=customer,
        location=store,
        lines=[{"item": bolt, "quantity": 5, "unit_price": 1, "promised_date": datetime.date(2030, 1, 1)}],
        user=clerk,
    )
    line = order.lines.get()
    form = ShipForm(data={f"line_{line.pk}": "\u0663"}, order=order)
    assert not form.is_valid()
    assert f"line_{line.pk}" in form.errors
