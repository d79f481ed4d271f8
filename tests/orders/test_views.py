"""The orders web pages: lists with filters, order detail with ship/receive forms (errors in place), reports."""

import datetime
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django_tenants.utils import tenant_context

from inventory.services import stock_receive
from orders import services
from orders.models import PurchaseOrder, SalesOrder, Shipment
from tests.orders.factories import CustomerFactory
from tests.orders.support import snapshot

D = Decimal


@pytest.fixture
def web(acme, acme_client):
    with tenant_context(acme):
        acme_client.force_login(get_user_model().objects.get(username="boss"))
    return acme_client


def make_sales_order(customer, item, store, quantity=10, promised=None, confirm=True):
    order = services.sales_order_create(
        customer=customer,
        location=store,
        user=None,
        lines=[
            {
                "item": item,
                "quantity": quantity,
                "unit_price": "2.00",
                "promised_date": promised or datetime.date.today() + datetime.timedelta(days=5),
            }
        ],
    )
    return services.sales_order_confirm(order=order, user=None) if confirm else order


def test_pages_need_a_signed_in_user(acme_client):
    response = acme_client.get("/orders/")
    assert response.status_code == 302
    assert "/login" in response["Location"]


def test_dashboard_shows_counts_and_value(web, customer, bolt, store):
    stock_receive(item=bolt, location=store, quantity=10, user=None)
    make_sales_order(customer, bolt, store)
    page = web.get("/orders/").content.decode()
    assert "Orders dashboard" in page
    assert "20.00" in page  # open sales value: 10 x 2.00


def test_sales_list_filters_by_state_partner_and_late(web, customer, bolt, store, today):
    other = CustomerFactory(code="C-TWO")
    late = make_sales_order(customer, bolt, store, promised=today - datetime.timedelta(days=1))
    draft = make_sales_order(other, bolt, store, confirm=False)
    assert draft.number in web.get("/orders/sales/").content.decode()
    late_page = web.get("/orders/sales/?late=on").content.decode()
    assert late.number in late_page and draft.number not in late_page
    draft_page = web.get("/orders/sales/?status=draft").content.decode()
    assert draft.number in draft_page and late.number not in draft_page
    partner_page = web.get(f"/orders/sales/?partner={other.pk}").content.decode()
    assert draft.number in partner_page and late.number not in partner_page


def test_purchase_list_shows_each_order_with_its_supplier_and_link(web, supplier, bolt):
    order = services.purchase_order_create(
        supplier=supplier, user=None, lines=[{"item": bolt, "quantity": 5, "unit_cost": 1}]
    )
    page = web.get("/orders/purchases/").content.decode()
    assert "<h1>Purchase orders</h1>" in page
    assert f'<a href="/orders/purchases/{order.pk}/">{order.number}</a>' in page
    assert f"{supplier.code} {supplier.name}" in page
    assert "Supplier</th>" in page


def test_ship_form_ships_and_redirects(web, customer, bolt, store):
    stock_receive(item=bolt, location=store, quantity=10, user=None)
    order = make_sales_order(customer, bolt, store)
    line = order.lines.get()
    response = web.post(f"/orders/sales/{order.pk}/", {f"line_{line.pk}": "4", "reference": "DN-9"})
    assert response.status_code == 302
    shipment = Shipment.objects.get(order=order)
    assert (shipment.reference, shipment.lines.get().quantity) == ("DN-9", D(4))
    page = web.get(f"/orders/sales/{order.pk}/").content.decode()
    assert "Partially shipped" in page and "Shipped SH-" in page


def test_over_shipping_shows_the_error_on_the_form_and_writes_nothing(web, customer, bolt, store):
    stock_receive(item=bolt, location=store, quantity=50, user=None)
    order = make_sales_order(customer, bolt, store)
    line = order.lines.get()
    before = snapshot()
    response = web.post(f"/orders/sales/{order.pk}/", {f"line_{line.pk}": "11"})
    assert response.status_code == 400
    assert response.context["form"].errors[f"line_{line.pk}"] == [
        f"item BOLT-10: 10 still to ship on {order.number}, 11 asked"
    ]
    assert snapshot() == before


def test_shipping_more_than_on_hand_shows_the_error_next_to_that_line(web, customer, bolt, store):
    stock_receive(item=bolt, location=store, quantity=2, user=None)
    order = make_sales_order(customer, bolt, store)
    line = order.lines.get()
    before = snapshot()
    response = web.post(f"/orders/sales/{order.pk}/", {f"line_{line.pk}": "3"})
    assert response.status_code == 400
    [message] = response.context["form"].errors[f"line_{line.pk}"]
    assert "BOLT-10 at STORE has 2 available, 3 asked" in message
    assert snapshot() == before


def test_a_ship_form_without_quantities_is_refused(web, customer, bolt, store):
    order = make_sales_order(customer, bolt, store)
    response = web.post(f"/orders/sales/{order.pk}/", {"reference": "x"})
    assert response.status_code == 400
    assert "enter a quantity for at least one line" in response.content.decode()


def test_a_draft_has_no_ship_form_and_posting_one_is_refused(web, customer, bolt, store):
    order = make_sales_order(customer, bolt, store, confirm=False)
    assert "<h2>Ship</h2>" not in web.get(f"/orders/sales/{order.pk}/").content.decode()
    response = web.post(f"/orders/sales/{order.pk}/", {f"line_{order.lines.get().pk}": "1"}, follow=True)
    assert "is draft; it cannot ship" in response.content.decode()
    assert not Shipment.objects.exists()


def test_confirm_and_cancel_buttons(web, customer, bolt, store):
    order = make_sales_order(customer, bolt, store, confirm=False)
    response = web.post(f"/orders/sales/{order.pk}/confirm/", follow=True)
    assert "is now confirmed" in response.content.decode()
    response = web.post(f"/orders/sales/{order.pk}/confirm/", follow=True)
    assert "only a draft can be confirmed" in response.content.decode()
    web.post(f"/orders/sales/{order.pk}/cancel/", {"confirm": "1"})
    order.refresh_from_db()
    assert order.status == SalesOrder.Status.CANCELLED
    assert web.post(f"/orders/sales/{order.pk}/explode/").status_code == 404
    assert web.get(f"/orders/sales/{order.pk}/confirm/").status_code == 405


def test_receive_form_receives_into_the_chosen_location(web, supplier, bolt, store):
    order = services.purchase_order_create(
        supplier=supplier, user=None, lines=[{"item": bolt, "quantity": 5, "unit_cost": 1}]
    )
    web.post(f"/orders/purchases/{order.pk}/send/")
    line = order.lines.get()
    response = web.post(f"/orders/purchases/{order.pk}/", {"location": store.pk, f"line_{line.pk}": "5"})
    assert response.status_code == 302
    order.refresh_from_db()
    assert order.status == PurchaseOrder.Status.RECEIVED
    assert order.receipts.get().location == store


def test_a_draft_purchase_order_has_no_receive_form_and_posting_one_is_refused(web, supplier, bolt, store):
    order = services.purchase_order_create(
        supplier=supplier, user=None, lines=[{"item": bolt, "quantity": 5, "unit_cost": 1}]
    )
    line = order.lines.get()
    assert "<h2>Receive</h2>" not in web.get(f"/orders/purchases/{order.pk}/").content.decode()
    response = web.post(f"/orders/purchases/{order.pk}/", {"location": store.pk, f"line_{line.pk}": "5"}, follow=True)
    assert response.redirect_chain == [(f"/orders/purchases/{order.pk}/", 302)]
    assert "is draft; it cannot be received" in response.content.decode()
    assert not order.receipts.exists()


def test_over_receipt_shows_the_error_on_the_form(web, supplier, bolt, store):
    order = services.purchase_order_create(
        supplier=supplier, user=None, lines=[{"item": bolt, "quantity": 5, "unit_cost": 1}]
    )
    services.purchase_order_send(order=order, user=None)
    before = snapshot()
    response = web.post(f"/orders/purchases/{order.pk}/", {"location": store.pk, f"line_{order.lines.get().pk}": "6"})
    assert response.status_code == 400
    line_field = f"line_{order.lines.get().pk}"
    assert "5 may still be received" in response.context["form"].errors[line_field][0]
    assert snapshot() == before


def test_purchase_list_and_reports(web, supplier, customer, bolt, store, today):
    order = services.purchase_order_create(
        supplier=supplier, user=None, lines=[{"item": bolt, "quantity": 5, "unit_cost": 1, "expected_date": today}]
    )
    assert order.number in web.get("/orders/purchases/?status=draft").content.decode()
    late = make_sales_order(customer, bolt, store, promised=today - datetime.timedelta(days=3))
    page = web.get("/orders/late-shipments/").content.decode()
    assert late.number in page
    assert web.get("/orders/supplier-lateness/").status_code == 200


def test_an_unknown_order_is_404(web):
    assert web.get("/orders/sales/999999/").status_code == 404
    assert web.get("/orders/purchases/999999/").status_code == 404
