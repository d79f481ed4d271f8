"""Receipts and shipments of lot-tracked items: each line names its lots (API and page), shipments pick or FEFO."""

import datetime
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django_tenants.utils import tenant_context

from inventory.models import Item, LotLevel, StockMoveLot
from orders import services
from tests.orders.factories import ItemFactory
from tests.orders.support import snapshot

D = Decimal


@pytest.fixture
def web(acme, acme_client):
    with tenant_context(acme):
        acme_client.force_login(get_user_model().objects.get(username="boss"))
    return acme_client


@pytest.fixture
def resin(in_acme):
    return ItemFactory(sku="RESIN", name="Resin", tracking=Item.Tracking.LOT)


@pytest.fixture
def sent(supplier, resin, clerk, next_week):
    order = services.purchase_order_create(
        supplier=supplier, user=clerk,
        lines=[{"item": resin, "quantity": 10, "unit_cost": "1", "expected_date": next_week}],
    )  # fmt: skip
    return services.purchase_order_send(order=order, user=clerk)


def lots_at(location) -> dict[str, Decimal]:
    return dict(LotLevel.objects.filter(location=location).values_list("lot__code", "on_hand"))


def test_the_api_receives_a_line_in_two_lots(web, sent, store):
    line = sent.lines.get()
    response = web.post(
        "/api/v1/receipts/",
        {"order": sent.pk, "location": store.pk, "lines": [{"line": line.pk, "quantity": "10", "lots": [
            {"code": "R-1", "quantity": "6", "expiry_date": "2027-01-31"}, {"code": "R-2", "quantity": "4"}
        ]}]},
        content_type="application/json",
    )  # fmt: skip
    assert response.status_code == 201, response.content
    assert lots_at(store) == {"R-1": D(6), "R-2": D(4)}


def test_the_api_refuses_a_receipt_line_without_its_lot_and_writes_nothing(web, sent, store):
    before = snapshot()
    response = web.post(
        "/api/v1/receipts/",
        {"order": sent.pk, "location": store.pk, "lines": [{"line": sent.lines.get().pk, "quantity": "10"}]},
        content_type="application/json",
    )
    assert response.status_code == 400
    assert "tracked by lot" in str(response.json())
    assert snapshot() == before


def test_the_receive_page_has_a_lots_box_for_a_tracked_line(web, sent, store):
    line = sent.lines.get()
    page = web.get(f"/orders/purchases/{sent.pk}/").content.decode()
    assert f'name="lots_{line.pk}"' in page
    response = web.post(
        f"/orders/purchases/{sent.pk}/",
        {"location": store.pk, f"line_{line.pk}": "10", f"lots_{line.pk}": "P-1, 7, 2027-02-01\nP-2, 3"},
    )
    assert response.status_code == 302
    assert lots_at(store) == {"P-1": D(7), "P-2": D(3)}


def test_the_receive_page_shows_a_missing_lot_by_its_box(web, sent, store):
    line = sent.lines.get()
    response = web.post(f"/orders/purchases/{sent.pk}/", {"location": store.pk, f"line_{line.pk}": "10"})
    assert response.status_code == 400
    assert "tracked by lot" in " ".join(response.context["form"].errors[f"lots_{line.pk}"])


def test_a_shipment_takes_lots_first_expiry_first_out(sent, resin, customer, store, clerk, next_week):
    services.receipt_create(
        order=sent, user=clerk, location=store,
        lines=[{"line": sent.lines.get().pk, "quantity": 10, "lots": [
            {"code": "LATE", "quantity": 5, "expiry_date": datetime.date(2028, 1, 1)},
            {"code": "SOON", "quantity": 5, "expiry_date": datetime.date(2027, 1, 1)},
        ]}],
    )  # fmt: skip
    sale = services.sales_order_create(
        customer=customer, location=store, user=clerk,
        lines=[{"item": resin, "quantity": 7, "unit_price": "2", "promised_date": next_week}],
    )  # fmt: skip
    services.sales_order_confirm(order=sale, user=clerk)
    shipment = services.shipment_create(order=sale, user=clerk, lines=[{"line": sale.lines.get().pk, "quantity": 7}])
    move = shipment.lines.get().move
    assert dict(StockMoveLot.objects.filter(move=move).values_list("lot__code", "quantity")) == {
        "SOON": D(5), "LATE": D(2)
    }  # fmt: skip
    assert lots_at(store) == {"SOON": D(0), "LATE": D(3)}
