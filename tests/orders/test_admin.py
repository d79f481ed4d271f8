"""The orders admin pages open, and its actions go through the services."""

import pytest
from django.contrib.auth import get_user_model
from django_tenants.utils import tenant_context

from inventory.services import stock_receive
from orders import services
from orders.models import Partner, SalesOrder


@pytest.fixture
def admin_client(acme, acme_client):
    with tenant_context(acme):
        acme_client.force_login(get_user_model().objects.get(username="boss"))
    return acme_client


@pytest.mark.parametrize(
    "model",
    [
        "partner",
        "salesorder",
        "salesorderline",
        "shipment",
        "shipmentline",
        "purchaseorder",
        "purchaseorderline",
        "receipt",
        "receiptline",
        "idempotencyrecord",
    ],
)
def test_changelists_open(admin_client, model):
    assert admin_client.get(f"/admin/orders/{model}/").status_code == 200


def test_confirm_action_goes_through_the_service(admin_client, customer, bolt, store, next_week):
    stock_receive(item=bolt, location=store, quantity=3, user=None)
    order = services.sales_order_create(
        customer=customer,
        location=store,
        user=None,
        lines=[{"item": bolt, "quantity": 5, "unit_price": 1, "promised_date": next_week}],
    )
    assert admin_client.get(f"/admin/orders/salesorder/{order.pk}/change/").status_code == 200
    admin_client.post("/admin/orders/salesorder/", {"action": "confirm", "_selected_action": [order.pk]})
    order.refresh_from_db()
    assert order.status == SalesOrder.Status.CONFIRMED
    assert order.lines.get().reserved_quantity == 3


def test_a_partner_is_added_through_the_service(admin_client, in_acme):
    response = admin_client.post(
        "/admin/orders/partner/add/",
        {
            "code": "ADM",
            "name": "Added in admin",
            "is_supplier": "on",
            "default_lead_time_days": "4",
            "is_active": "on",
        },
    )
    assert response.status_code == 302
    assert Partner.objects.get(code="ADM").default_lead_time_days == 4
