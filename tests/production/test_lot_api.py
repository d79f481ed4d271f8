"""Completing a work order through the API with the lots picked: components consumed from the lot named, the output
given the lot named, the genealogy between them."""

import datetime
from decimal import Decimal

import pytest

from inventory.models import Item, LotGenealogy, LotLevel
from inventory.services import stock_receive
from production import services
from tests.inventory.conftest import logged_in

D = Decimal
BASE = "/api/v1/production"


@pytest.fixture
def acme_api(acme, acme_client):
    return logged_in(acme_client, acme)


@pytest.fixture
def started(in_acme, item, make_bom, planner, receiving):
    resin = item("RESIN", tracking=Item.Tracking.LOT)
    panel = item("PANEL", tracking=Item.Tracking.LOT)
    make_bom(panel, (resin, 2))
    for code, expiry in (("OLD", datetime.date(2027, 1, 1)), ("NEW", datetime.date(2028, 1, 1))):
        stock_receive(
            item=resin, location=receiving, quantity=10, user=planner, lots=[{"code": code, "expiry_date": expiry}]
        )
    work_order = services.work_order_create(item=panel, quantity=3, due_date=datetime.date(2027, 1, 31), user=planner)
    services.work_order_release(work_order=work_order, user=planner, location=receiving)
    services.work_order_start(work_order=work_order, user=planner)
    return work_order, resin


def complete(client, work_order, body):
    return client.post(f"{BASE}/work-orders/{work_order.pk}/complete/", body, content_type="application/json")


def test_completion_consumes_the_picked_lot_and_names_the_output(acme_api, started):
    work_order, resin = started
    response = complete(
        acme_api, work_order,
        {"lots": [{"code": "PANEL-B1", "expiry_date": "2027-12-31"}],
         "component_lots": [{"item": resin.pk, "lots": [{"code": "NEW"}]}]},
    )  # fmt: skip
    assert response.status_code == 200, response.content
    levels = dict(LotLevel.objects.values_list("lot__code", "on_hand"))
    assert levels == {"OLD": D(10), "NEW": D(4), "PANEL-B1": D(3)}
    edge = LotGenealogy.objects.select_related("consumed_lot", "produced_lot").get()
    assert (edge.consumed_lot.code, edge.produced_lot.code, edge.quantity) == ("NEW", "PANEL-B1", D(6))


def test_completion_without_lots_takes_fefo_and_names_the_lot_after_the_work_order(acme_api, started):
    work_order, _ = started
    assert complete(acme_api, work_order, {}).status_code == 200
    levels = dict(LotLevel.objects.values_list("lot__code", "on_hand"))
    assert levels == {"OLD": D(4), "NEW": D(10), work_order.number: D(3)}


def test_a_picked_component_lot_that_is_short_is_a_400_and_nothing_is_made(acme_api, started, receiving, planner):
    work_order, resin = started
    response = complete(acme_api, work_order, {"component_lots": [{"item": resin.pk, "lots": [{"code": "MISSING"}]}]})
    assert response.status_code == 400
    assert "lots" in response.json()
    work_order.refresh_from_db()
    assert work_order.completed_quantity == 0
    assert not LotGenealogy.objects.exists()
