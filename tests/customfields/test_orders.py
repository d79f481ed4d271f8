"""Custom fields of partners and orders: API (in, out, 400 by key, filters), the services, the authoring forms."""

import pytest
from django.contrib.auth import get_user_model
from django_tenants.utils import tenant_context

from customfields.services import CustomFieldsInvalid
from orders import services
from orders.models import Partner, PurchaseOrder, SalesOrder
from tests.customfields.conftest import define
from tests.orders.conftest import bolt, clerk, customer, next_week, store, supplier, today  # noqa: F401 (fixtures)
from tests.orders.test_authoring import purchase_data, sales_data, sales_line
from tests.web_roles import signed_in_as


@pytest.fixture
def api(acme, acme_client):
    with tenant_context(acme):
        acme_client.force_login(get_user_model().objects.get(username="boss"))
    return acme_client


@pytest.fixture
def planner(acme, acme_client):
    return signed_in_as(acme_client, acme, "planner")


def post(client, url, data):
    return client.post(url, data, content_type="application/json")


@pytest.fixture
def sales_body(customer, bolt, store, next_week):  # noqa: F811
    return {
        "customer": customer.pk,
        "location": store.pk,
        "lines": [{"item": bolt.pk, "quantity": "10", "unit_price": "2.50", "promised_date": next_week.isoformat()}],
    }


def test_a_partner_is_created_with_custom_values(api, in_acme):
    define(entity="partner", key="region", field_type="choice", choices=["north", "south"])
    body = {"code": "C-9", "name": "Nine", "is_customer": True, "custom_fields": {"region": "north"}}
    response = post(api, "/api/v1/partners/", body)
    assert response.status_code == 201, response.json()
    assert response.json()["custom_fields"] == {"region": "north"}
    assert Partner.objects.get(code="C-9").custom_fields == {"region": "north"}


def test_a_partner_value_its_type_refuses_is_a_400_on_the_key(api, in_acme):
    define(entity="partner", key="credit_limit", field_type="number")
    body = {"code": "C-9", "name": "Nine", "is_customer": True, "custom_fields": {"credit_limit": "lots"}}
    response = post(api, "/api/v1/partners/", body)
    assert response.status_code == 400
    assert list(response.json()["custom_fields"]) == ["credit_limit"]


def test_partners_filter_by_custom_value(api, in_acme):
    define(entity="partner", key="region")
    Partner.objects.create(code="N", name="N", is_customer=True, custom_fields={"region": "north"})
    Partner.objects.create(code="S", name="S", is_customer=True, custom_fields={"region": "south"})
    body = api.get("/api/v1/partners/", {"cf_region": "north"}).json()
    assert [row["code"] for row in body["results"]] == ["N"]


def test_a_sales_order_is_created_with_custom_values_and_a_required_one_is_enforced(api, sales_body, in_acme):
    define(entity="sales_order", key="incoterm", field_type="choice", choices=["EXW", "DAP"], required=True)
    response = post(api, "/api/v1/sales-orders/", sales_body)
    assert response.status_code == 400
    assert response.json() == {"custom_fields": {"incoterm": ["Incoterm is required"]}}
    response = post(api, "/api/v1/sales-orders/", {**sales_body, "custom_fields": {"incoterm": "DAP"}})
    assert response.status_code == 201, response.json()
    assert SalesOrder.objects.get(pk=response.json()["id"]).custom_fields == {"incoterm": "DAP"}


def test_sales_orders_filter_by_custom_value(api, sales_body, in_acme):
    define(entity="sales_order", key="rush", field_type="yes_no")
    rush = post(api, "/api/v1/sales-orders/", {**sales_body, "custom_fields": {"rush": True}}).json()
    post(api, "/api/v1/sales-orders/", sales_body)
    body = api.get("/api/v1/sales-orders/", {"cf_rush": "yes"}).json()
    assert [row["id"] for row in body["results"]] == [rush["id"]]


def test_a_draft_order_update_changes_custom_values_by_key(customer, bolt, store, next_week, clerk):  # noqa: F811
    define(entity="sales_order", key="rush", field_type="yes_no")
    define(entity="sales_order", key="note")
    line = {"item": bolt, "quantity": "1", "unit_price": "1", "promised_date": next_week}
    order = services.sales_order_create(
        customer=customer, location=store, lines=[line], user=clerk, custom_fields={"rush": "yes", "note": "x"}
    )
    services.sales_order_update(order=order, user=clerk, custom_fields={"note": None})
    order.refresh_from_db()
    assert order.custom_fields == {"rush": True}


def test_the_purchase_service_refuses_a_sales_order_key(supplier, bolt, next_week, clerk):  # noqa: F811
    define(entity="sales_order", key="rush", field_type="yes_no")
    line = {"item": bolt, "quantity": "1", "unit_cost": "1", "expected_date": next_week}
    with pytest.raises(CustomFieldsInvalid) as caught:
        services.purchase_order_create(supplier=supplier, lines=[line], user=clerk, custom_fields={"rush": True})
    assert list(caught.value.errors) == ["rush"]
    assert not PurchaseOrder.objects.exists()


def test_the_partner_form_shows_and_saves_custom_fields(planner, in_acme):
    define(entity="partner", key="region", field_type="choice", choices=["north", "south"])
    page = planner.get("/orders/partners/new/").content.decode()
    assert 'name="cf_region"' in page
    data = {"code": "S-1", "name": "Steel", "is_supplier": "on", "default_lead_time_days": "0", "cf_region": "south"}
    response = planner.post("/orders/partners/new/", data)
    assert response.status_code == 302
    assert Partner.objects.get(code="S-1").custom_fields == {"region": "south"}


def test_the_partner_form_says_a_missing_required_value_by_its_field(planner, in_acme):
    define(entity="partner", key="region", required=True)
    data = {"code": "S-1", "name": "Steel", "is_supplier": "on", "default_lead_time_days": "0"}
    response = planner.post("/orders/partners/new/", data)
    assert response.status_code == 400
    assert response.context["form"].errors["cf_region"]
    assert not Partner.objects.filter(code="S-1").exists()


def test_the_sales_order_form_saves_custom_values(planner, customer, bolt, store, in_acme):  # noqa: F811
    define(entity="sales_order", key="due_check", field_type="date")
    response = planner.post(
        "/orders/sales/new/", sales_data(customer, store, [sales_line(bolt)], cf_due_check="2026-12-24")
    )
    assert response.status_code == 302, response.context["form"].errors
    assert SalesOrder.objects.get().custom_fields == {"due_check": "2026-12-24"}


def test_the_purchase_order_form_refuses_a_bad_number_by_its_field(planner, supplier, bolt, in_acme):  # noqa: F811
    define(entity="purchase_order", key="budget", field_type="number", min_value=0)
    line = {"item": bolt.sku, "quantity": "1", "unit_cost": "1", "expected_date": ""}
    response = planner.post("/orders/purchases/new/", purchase_data(supplier, [line], cf_budget="-5"))
    assert response.status_code == 400
    assert "at least 0" in response.context["form"].errors["cf_budget"][0]
    assert not PurchaseOrder.objects.exists()
