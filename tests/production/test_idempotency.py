"""Work orders over the API are safe to retry: a create or an action sent three times with one Idempotency-Key runs
once, and the three answers are the same bytes."""

from decimal import Decimal

import pytest

from core.idempotency import HEADER, REPLAYED_HEADER
from inventory.models import Location, ReservationEntry, StockLevel, StockMove
from inventory.services import stock_receive
from production.models import WorkOrder
from tests.inventory.conftest import logged_in

D = Decimal
BASE = "/api/v1/production/work-orders"


@pytest.fixture
def acme_api(acme, acme_client):
    return logged_in(acme_client, acme)


@pytest.fixture
def pump(item, make_bom, planner):
    pump, housing = item("PUMP"), item("HOUSING")
    make_bom(pump, (housing, 2))
    stock_receive(item=housing, location=Location.objects.get(is_default_receiving=True), quantity=10, user=planner)
    return pump, housing


def post(client, url, body=None, key=None):
    headers = {HEADER: key} if key else {}
    return client.post(url, body or {}, content_type="application/json", headers=headers)


def thrice(client, url, body=None, key="retry-1"):
    """The three answers, checked to be the first one's bytes, replayed."""
    first, *retries = [post(client, url, body, key) for _ in range(3)]
    assert first.status_code < 300, first.json()
    assert first.get(REPLAYED_HEADER) is None
    for retry in retries:
        assert (retry.status_code, retry.content, retry[REPLAYED_HEADER]) == (first.status_code, first.content, "true")
    return first


def work_order(client, pump, quantity="4"):
    return post(client, f"{BASE}/", {"item": pump[0].pk, "quantity": quantity, "due_date": "2027-01-31"}).json()


def test_a_work_order_created_three_times_with_one_key_is_created_once(acme_api, pump):
    thrice(acme_api, f"{BASE}/", {"item": pump[0].pk, "quantity": "4", "due_date": "2027-01-31"})
    assert WorkOrder.objects.count() == 1


def test_a_release_sent_three_times_with_one_key_reserves_once(acme_api, pump):
    created = work_order(acme_api, pump)
    released = thrice(acme_api, f"{BASE}/{created['id']}/release/")
    assert released.json()["state"] == "released"
    assert StockLevel.objects.get(item=pump[1]).reserved == D(8)
    assert ReservationEntry.objects.filter(item=pump[1]).count() == 1


def test_a_start_sent_three_times_with_one_key_starts_once(acme_api, pump):
    created = work_order(acme_api, pump)
    post(acme_api, f"{BASE}/{created['id']}/release/")
    assert thrice(acme_api, f"{BASE}/{created['id']}/start/").json()["state"] == "in_progress"


def test_a_completion_sent_three_times_with_one_key_completes_once(acme_api, pump):
    created = work_order(acme_api, pump)
    post(acme_api, f"{BASE}/{created['id']}/release/")
    post(acme_api, f"{BASE}/{created['id']}/start/")
    completed = thrice(acme_api, f"{BASE}/{created['id']}/complete/", {"quantity": "1"})
    assert completed.json()["completed_quantity"] == "1.0000"
    assert WorkOrder.objects.get().completed_quantity == D(1)
    assert StockMove.objects.filter(item=pump[0]).count() == 1


def test_a_cancel_sent_three_times_with_one_key_cancels_once(acme_api, pump):
    created = work_order(acme_api, pump)
    post(acme_api, f"{BASE}/{created['id']}/release/")
    assert thrice(acme_api, f"{BASE}/{created['id']}/cancel/").json()["state"] == "cancelled"
    assert StockLevel.objects.get(item=pump[1]).reserved == D(0)


def test_a_completion_with_another_quantity_and_the_same_key_is_refused_with_422(acme_api, pump):
    created = work_order(acme_api, pump)
    post(acme_api, f"{BASE}/{created['id']}/release/")
    post(acme_api, f"{BASE}/{created['id']}/start/")
    post(acme_api, f"{BASE}/{created['id']}/complete/", {"quantity": "1"}, key="k")
    response = post(acme_api, f"{BASE}/{created['id']}/complete/", {"quantity": "2"}, key="k")
    assert response.status_code == 422
    assert WorkOrder.objects.get().completed_quantity == D(1)


def test_a_refused_action_keeps_its_key_usable(acme_api, pump):
    created = work_order(acme_api, pump)
    refused = post(acme_api, f"{BASE}/{created['id']}/start/", key="k")
    assert refused.status_code == 400  # a draft is released first
    post(acme_api, f"{BASE}/{created['id']}/release/")
    started = post(acme_api, f"{BASE}/{created['id']}/start/", key="k")
    assert started.json()["state"] == "in_progress"
    assert post(acme_api, f"{BASE}/{created['id']}/start/", key="k").content == started.content  # now kept
