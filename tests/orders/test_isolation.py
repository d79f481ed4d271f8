"""Tenants cannot see or touch each other's orders: not by host, not by credentials, not by guessing ids."""

import base64
import datetime

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django_tenants.utils import tenant_context

from orders import services
from orders.models import IdempotencyRecord, SalesOrder, Shipment
from tests.conftest import host_of
from tests.orders.factories import CustomerFactory, ItemFactory, LocationFactory, UserFactory


@pytest.fixture
def acme_order(acme):
    """A confirmed acme order for a customer whose name must never appear on globex."""
    with tenant_context(acme):
        customer = CustomerFactory(code="SECRET", name="Acme Secret Customer")
        item, store = ItemFactory(sku="ACME-ONLY"), LocationFactory(code="ACME-STORE")
        order = services.sales_order_create(
            customer=customer,
            location=store,
            user=None,
            lines=[{"item": item, "quantity": 3, "unit_price": 1, "promised_date": datetime.date.today()}],
        )
        order = services.sales_order_confirm(order=order, user=None)
        order.line_id = order.lines.get().pk
        return order


def signed_in(tenant, client):
    with tenant_context(tenant):
        client.force_login(get_user_model().objects.get(username="boss"))
    return client


def test_globex_does_not_see_acme_orders_by_guessing_ids(acme, acme_order, globex, globex_client):
    client = signed_in(globex, globex_client)
    line_id = acme_order.line_id
    responses = [
        client.get(f"/api/v1/sales-orders/{acme_order.pk}/"),
        client.post(f"/api/v1/sales-orders/{acme_order.pk}/confirm/", {}, content_type="application/json"),
        client.post(f"/api/v1/sales-orders/{acme_order.pk}/cancel/", {}, content_type="application/json"),
        client.get(f"/orders/sales/{acme_order.pk}/"),
        client.post(f"/orders/sales/{acme_order.pk}/", {f"line_{line_id}": "1"}),
    ]
    assert [r.status_code for r in responses] == [404, 404, 404, 404, 404]
    shipment = client.post(
        "/api/v1/shipments/",
        {"order": acme_order.pk, "lines": [{"line": line_id, "quantity": "1"}]},
        content_type="application/json",
    )
    assert shipment.status_code == 400
    assert "order" in shipment.json()
    listing = client.get("/api/v1/sales-orders/").json()
    assert listing["count"] == 0
    for response in [*responses, shipment, client.get("/orders/sales/"), client.get("/api/v1/partners/")]:
        assert b"Acme Secret Customer" not in response.content
        assert b"ACME-ONLY" not in response.content
    with tenant_context(globex):
        assert not SalesOrder.objects.exists()
    with tenant_context(acme):
        acme_order.refresh_from_db()
        assert acme_order.status == SalesOrder.Status.CONFIRMED
        assert not Shipment.objects.exists()


def test_an_acme_session_is_not_signed_in_on_globex(acme, acme_order, acme_client, globex):
    signed_in(acme, acme_client)
    assert acme_client.get(f"/api/v1/sales-orders/{acme_order.pk}/").status_code == 200
    session = acme_client.cookies["sessionid"].value
    stranger = Client(HTTP_HOST=host_of(globex))
    stranger.cookies["sessionid"] = session
    api = stranger.get("/api/v1/sales-orders/")
    assert api.status_code == 403
    page = stranger.get("/orders/sales/")
    assert page.status_code == 302
    assert b"Acme Secret Customer" not in api.content + page.content


def test_acme_credentials_do_not_work_on_globex(acme, acme_order, globex, settings):
    settings.API_BASIC_AUTH = True  # off by default (access.authentication.LimitedBasicAuthentication)
    with tenant_context(acme):
        UserFactory(username="acme-integrator", password="s3cret-acme-only")
    token = base64.b64encode(b"acme-integrator:s3cret-acme-only").decode()
    auth = {"HTTP_AUTHORIZATION": f"Basic {token}"}
    assert Client(HTTP_HOST=host_of(acme), **auth).get("/api/v1/sales-orders/").status_code == 200
    response = Client(HTTP_HOST=host_of(globex), **auth).get("/api/v1/sales-orders/")
    assert response.status_code in (401, 403)
    assert b"Acme Secret Customer" not in response.content


def test_idempotency_keys_are_per_tenant(acme, globex, acme_client, globex_client):
    bodies = {}
    for tenant in (acme, globex):
        with tenant_context(tenant):
            bodies[tenant.slug] = {"code": "SAME", "name": f"{tenant.slug} partner", "is_customer": True}
    for tenant, client in ((acme, acme_client), (globex, globex_client)):
        response = signed_in(tenant, client).post(
            "/api/v1/partners/", bodies[tenant.slug], content_type="application/json", headers={"Idempotency-Key": "k"}
        )
        assert response.status_code == 201
        assert response.json()["name"] == f"{tenant.slug} partner"
    for tenant in (acme, globex):
        with tenant_context(tenant):
            assert IdempotencyRecord.objects.filter(key__endswith=":k").count() == 1
            assert not Shipment.objects.exists()
