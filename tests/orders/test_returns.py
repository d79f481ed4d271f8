"""Documents and the ledger never disagree: a shipment's or receipt's moves are undone by a return document (customer
return, return to supplier) that moves the stock and updates the order in one transaction; a bare reversal of
their moves is refused."""

from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django_tenants.utils import tenant_context

from inventory.models import StockMove
from inventory.selectors import ledger_balance, reservation_mismatches
from inventory.services import MoveBelongsToDocument, stock_issue, stock_move_reverse, stock_receive
from orders import selectors, services
from orders.models import CustomerReturn, PurchaseOrder, SalesOrder, SupplierReturn
from orders.services import OrderError
from tests.inventory.conftest import logged_in
from tests.orders.support import level, snapshot

D = Decimal


@pytest.fixture
def shipped(customer, bolt, store, clerk, next_week):
    """A sales order for 10 bolts from STORE, confirmed (reserving 10) and shipped in full."""
    stock_receive(item=bolt, location=store, quantity=10, user=clerk)
    order = services.sales_order_create(
        customer=customer,
        location=store,
        user=clerk,
        lines=[{"item": bolt, "quantity": 10, "unit_price": 1, "promised_date": next_week}],
    )
    services.sales_order_confirm(order=order, user=clerk)
    line = order.lines.get()
    shipment = services.shipment_create(order=order, lines=[{"line": line, "quantity": 10}], user=clerk)
    return shipment


@pytest.fixture
def received(supplier, bolt, receiving, clerk, next_week):
    """A purchase order for 10 bolts, sent and received in full into the receiving location."""
    order = services.purchase_order_create(
        supplier=supplier,
        user=clerk,
        lines=[{"item": bolt, "quantity": 10, "unit_cost": 1, "expected_date": next_week}],
    )
    services.purchase_order_send(order=order, user=clerk)
    line = order.lines.get()
    return services.receipt_create(order=order, lines=[{"line": line, "quantity": 10}], user=clerk)


# --- A document's move is not reversed bare ---------------------------------------------------------------------------
def test_reversing_a_receipt_move_bare_is_refused_and_names_the_receipt_and_its_undo(received, bolt, receiving, clerk):
    move = received.lines.get().move
    before = snapshot()
    with pytest.raises(MoveBelongsToDocument, match=rf"receipt {received}: undo it with a return to supplier"):
        stock_move_reverse(move=move, user=clerk)
    assert snapshot() == before
    order = PurchaseOrder.objects.get(pk=received.order_id)
    assert (order.status, order.lines.get().received_quantity) == ("received", D(10))
    assert level(bolt, receiving) == (D(10), D(0))


def test_reversing_a_shipment_move_bare_is_refused_and_names_the_shipment_and_its_undo(shipped, bolt, store, clerk):
    move = shipped.lines.get().move
    before = snapshot()
    with pytest.raises(MoveBelongsToDocument, match=rf"shipment {shipped}: undo it with a customer return"):
        stock_move_reverse(move=move, user=clerk)
    assert snapshot() == before
    assert SalesOrder.objects.get(pk=shipped.order_id).status == "shipped"
    assert level(bolt, store) == (D(0), D(0))


def test_a_bare_move_is_still_reversed(bolt, store, clerk):
    move = stock_receive(item=bolt, location=store, quantity=4, user=clerk)
    reversal = stock_move_reverse(move=move, user=clerk)
    assert reversal.reverses == move
    assert level(bolt, store) == (D(0), D(0))


# --- Customer return --------------------------------------------------------------------------------------------------
def test_customer_return_brings_stock_back_and_reopens_the_order(shipped, bolt, store, clerk):
    line = shipped.lines.get()
    document = services.customer_return_create(shipment=shipped, lines=[{"line": line, "quantity": 4}], user=clerk)
    assert isinstance(document, CustomerReturn)
    assert level(bolt, store) == (D(4), D(0))
    assert ledger_balance(item=bolt, location=store) == D(4)
    order = SalesOrder.objects.get(pk=shipped.order_id)
    order_line = order.lines.get()
    assert (order.status, order_line.shipped_quantity, order_line.open_quantity) == ("partially_shipped", D(6), D(4))
    assert order.closed_at is None
    move = document.lines.get().move
    assert (move.reason, move.to_location, move.source) == (StockMove.Reason.RECEIPT, store, document)
    assert selectors.order_history(order)[0].action == "returned"


def test_customer_return_of_everything_puts_the_order_back_to_confirmed(shipped, clerk):
    line = shipped.lines.get()
    services.customer_return_create(shipment=shipped, lines=[{"line": line, "quantity": 10}], user=clerk)
    assert SalesOrder.objects.get(pk=shipped.order_id).status == "confirmed"


def test_returned_goods_ship_again(shipped, bolt, store, clerk):
    line = shipped.lines.get()
    services.customer_return_create(shipment=shipped, lines=[{"line": line, "quantity": 3}], user=clerk)
    order_line = line.order_line
    services.shipment_create(order=shipped.order, lines=[{"line": order_line, "quantity": 3}], user=clerk)
    assert SalesOrder.objects.get(pk=shipped.order_id).status == "shipped"
    assert level(bolt, store) == (D(0), D(0))


def test_customer_return_beyond_what_is_left_to_return_is_refused(shipped, clerk):
    line = shipped.lines.get()
    services.customer_return_create(shipment=shipped, lines=[{"line": line, "quantity": 7}], user=clerk)
    before = snapshot()
    with pytest.raises(OrderError, match=r"3 of SH-\d+ may still be returned, 4 asked"):
        services.customer_return_create(shipment=shipped, lines=[{"line": line, "quantity": 4}], user=clerk)
    assert snapshot() == before


def test_customer_return_of_a_line_of_another_document_is_refused(shipped, received, clerk):
    # A receipt line's id; shipment and receipt lines are numbered apart, so the two may meet: step past the shipment's.
    own = set(shipped.lines.values_list("pk", flat=True))
    other = received.lines.get().pk
    while other in own:
        other += 1
    with pytest.raises(OrderError, match="not a line of SH-"):
        services.customer_return_create(shipment=shipped, lines=[{"line": other, "quantity": 1}], user=clerk)


def test_a_customer_returns_move_cannot_be_reversed_bare(shipped, clerk):
    line = shipped.lines.get()
    document = services.customer_return_create(shipment=shipped, lines=[{"line": line, "quantity": 2}], user=clerk)
    with pytest.raises(MoveBelongsToDocument, match="customer return CR-"):
        stock_move_reverse(move=document.lines.get().move, user=clerk)


# --- Return to supplier -----------------------------------------------------------------------------------------------
def test_supplier_return_takes_stock_out_and_reopens_the_order(received, bolt, receiving, clerk):
    line = received.lines.get()
    document = services.supplier_return_create(receipt=received, lines=[{"line": line, "quantity": 10}], user=clerk)
    assert isinstance(document, SupplierReturn)
    assert level(bolt, receiving) == (D(0), D(0))
    order = PurchaseOrder.objects.get(pk=received.order_id)
    assert (order.status, order.lines.get().received_quantity, order.closed_at) == ("sent", D(0), None)
    move = document.lines.get().move
    assert (move.reason, move.from_location, move.source) == (StockMove.Reason.ISSUE, receiving, document)


def test_partial_supplier_return_leaves_the_order_partially_received(received, clerk):
    line = received.lines.get()
    services.supplier_return_create(receipt=received, lines=[{"line": line, "quantity": 2}], user=clerk)
    order = PurchaseOrder.objects.get(pk=received.order_id)
    assert (order.status, order.lines.get().received_quantity) == ("partially_received", D(8))


def test_supplier_return_of_stock_no_longer_there_is_refused_and_writes_nothing(received, bolt, receiving, clerk):
    stock_issue(item=bolt, location=receiving, quantity=7, user=clerk)
    line = received.lines.get()
    before = snapshot()
    with pytest.raises(Exception, match="has 3 available, 5 asked"):
        services.supplier_return_create(receipt=received, lines=[{"line": line, "quantity": 5}], user=clerk)
    assert snapshot() == before
    assert not SupplierReturn.objects.exists()


def test_a_cancelled_order_stays_cancelled_after_a_return(received, clerk, next_week):
    order = PurchaseOrder.objects.get(pk=received.order_id)
    services.supplier_return_create(receipt=received, lines=[{"line": received.lines.get(), "quantity": 1}], user=clerk)
    services.purchase_order_cancel(order=order, user=clerk)
    line = received.lines.get()
    services.supplier_return_create(receipt=received, lines=[{"line": line, "quantity": 1}], user=clerk)
    assert PurchaseOrder.objects.get(pk=order.pk).status == "cancelled"


def test_returns_keep_the_reservation_history_adding_up(shipped, received, clerk):
    services.customer_return_create(shipment=shipped, lines=[{"line": shipped.lines.get(), "quantity": 5}], user=clerk)
    services.sales_order_reserve(order=shipped.order, user=clerk)
    services.supplier_return_create(receipt=received, lines=[{"line": received.lines.get(), "quantity": 1}], user=clerk)
    assert reservation_mismatches() == []


# --- API --------------------------------------------------------------------------------------------------------------
@pytest.fixture
def api(acme, acme_client):
    return logged_in(acme_client, acme)


def post(client, url, data):
    return client.post(url, data, content_type="application/json")


def test_api_reverse_of_a_shipment_move_answers_400_naming_the_undo(api, shipped):
    move = shipped.lines.get().move
    response = post(api, f"/api/v1/moves/{move.pk}/reverse/", {})
    assert response.status_code == 400, response.content
    assert "customer return" in response.json()["detail"]


def test_api_customer_return(api, shipped, bolt, store):
    line = shipped.lines.get()
    response = post(api, f"/api/v1/shipments/{shipped.pk}/return/", {"lines": [{"line": line.pk, "quantity": "2"}]})
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["shipment"] == shipped.pk and body["location"] == store.pk
    assert [(row["shipment_line"], row["quantity"]) for row in body["returned_lines"]] == [(line.pk, "2.0000")]
    assert level(bolt, store) == (D(2), D(0))


def test_api_customer_return_over_the_shipped_quantity_answers_400_on_lines(api, shipped):
    line = shipped.lines.get()
    response = post(api, f"/api/v1/shipments/{shipped.pk}/return/", {"lines": [{"line": line.pk, "quantity": "11"}]})
    assert response.status_code == 400
    assert "may still be returned" in response.json()["lines"][0]
    assert not CustomerReturn.objects.exists()


def test_api_return_without_lines_answers_400(api, shipped):
    response = post(api, f"/api/v1/shipments/{shipped.pk}/return/", {"lines": []})
    assert response.status_code == 400
    assert "lines" in response.json()


def test_api_supplier_return(api, received, bolt, receiving):
    line = received.lines.get()
    response = post(api, f"/api/v1/receipts/{received.pk}/return/", {"lines": [{"line": line.pk, "quantity": "3"}]})
    assert response.status_code == 201, response.content
    assert level(bolt, receiving) == (D(7), D(0))


def test_api_supplier_return_of_missing_stock_answers_400(api, received, bolt, receiving, clerk):
    stock_issue(item=bolt, location=receiving, quantity=10, user=clerk)
    line = received.lines.get()
    response = post(api, f"/api/v1/receipts/{received.pk}/return/", {"lines": [{"line": line.pk, "quantity": "1"}]})
    assert response.status_code == 400
    assert "available" in str(response.json())


def test_another_tenant_cannot_return_this_tenants_shipment(shipped, globex, globex_client):
    line_id = shipped.lines.get().pk
    with tenant_context(globex):
        globex_client.force_login(get_user_model().objects.get(username="boss"))
    body = {"lines": [{"line": line_id, "quantity": "1"}]}
    api_answer = post(globex_client, f"/api/v1/shipments/{shipped.pk}/return/", body)
    page = globex_client.get(f"/orders/shipments/{shipped.pk}/return/")
    assert (api_answer.status_code, page.status_code) == (404, 404)


# --- Pages ------------------------------------------------------------------------------------------------------------
def test_the_return_page_says_what_will_happen_and_needs_the_confirmation(api, shipped, bolt, store):
    line = shipped.lines.get()
    url = f"/orders/shipments/{shipped.pk}/return/"
    page = api.get(url)
    assert page.status_code == 200
    assert "come back into stock" in page.content.decode()
    refused = api.post(url, {"location": store.pk, f"line_{line.pk}": "2"})
    assert refused.status_code == 400
    assert "tick the box" in refused.content.decode()
    done = api.post(url, {"location": store.pk, f"line_{line.pk}": "2", "confirm": "on"})
    assert done.status_code == 302
    assert level(bolt, store) == (D(2), D(0))


def test_the_order_page_links_each_shipment_to_its_return(api, shipped):
    page = api.get(f"/orders/sales/{shipped.order_id}/").content.decode()
    assert f'id="shipment-{shipped.pk}"' in page
    assert f"/orders/shipments/{shipped.pk}/return/" in page


def test_the_ledger_offers_the_documents_undo_instead_of_a_bare_reversal(api, shipped, bolt):
    page = api.get(f"/inventory/items/{bolt.pk}/").content.decode()
    move = shipped.lines.get().move
    assert f"/inventory/moves/{move.pk}/reverse/" not in page
    assert f"/orders/sales/{shipped.order_id}/#shipment-{shipped.pk}" in page
    assert "customer return" in page
