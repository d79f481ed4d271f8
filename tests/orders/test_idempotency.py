"""Order actions over the API are safe to retry: confirm, send, reserve, cancel (and a receipt) sent three times with
one Idempotency-Key run once (without a key, the second would be refused as a wrong transition), and the three
answers are the same bytes. Creates: tests/orders/test_api.py."""

from decimal import Decimal

import pytest
from django.test import Client

from access.services import user_set_role
from core.idempotency import HEADER, REPLAYED_HEADER
from inventory.models import StockLevel
from inventory.services import stock_receive
from orders.models import Partner
from tests.conftest import host_of
from tests.inventory.conftest import logged_in
from tests.inventory.factories import UserFactory

D = Decimal


@pytest.fixture
def api(acme, acme_client):
    return logged_in(acme_client, acme)


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


@pytest.fixture
def sales_order(api, customer, bolt, store, next_week):
    body = {
        "customer": customer.pk,
        "location": store.pk,
        "lines": [{"item": bolt.pk, "quantity": "10", "unit_price": "2.50", "promised_date": next_week.isoformat()}],
    }
    return post(api, "/api/v1/sales-orders/", body).json()


@pytest.fixture
def purchase_order(api, supplier, bolt, next_week):
    body = {
        "supplier": supplier.pk,
        "lines": [{"item": bolt.pk, "quantity": "8", "unit_cost": "0.40", "expected_date": next_week.isoformat()}],
    }
    return post(api, "/api/v1/purchase-orders/", body).json()


def test_a_sales_confirm_sent_three_times_with_one_key_confirms_once(api, sales_order, bolt, store):
    stock_receive(item=bolt, location=store, quantity=10, user=None)
    confirmed = thrice(api, f"/api/v1/sales-orders/{sales_order['id']}/confirm/")
    assert confirmed.json()["status"] == "confirmed"
    assert StockLevel.objects.get(item=bolt, location=store).reserved == D(10)


def test_a_sales_reserve_retried_with_one_key_reserves_once(api, sales_order, bolt, store):
    url = f"/api/v1/sales-orders/{sales_order['id']}/reserve/"
    post(api, f"/api/v1/sales-orders/{sales_order['id']}/confirm/")
    stock_receive(item=bolt, location=store, quantity=4, user=None)
    first = post(api, url, key="k")
    stock_receive(item=bolt, location=store, quantity=6, user=None)  # a second reserve would take these too
    retry = post(api, url, key="k")
    assert (retry.content, retry[REPLAYED_HEADER]) == (first.content, "true")
    assert first.json()["lines"][0]["reserved_quantity"] == "4.0000"
    assert StockLevel.objects.get(item=bolt, location=store).reserved == D(4)


def test_a_sales_cancel_sent_three_times_with_one_key_cancels_once(api, sales_order, bolt, store):
    stock_receive(item=bolt, location=store, quantity=10, user=None)
    post(api, f"/api/v1/sales-orders/{sales_order['id']}/confirm/")
    cancelled = thrice(api, f"/api/v1/sales-orders/{sales_order['id']}/cancel/", {"reason": "customer withdrew"})
    assert cancelled.json()["status"] == "cancelled"
    assert StockLevel.objects.get(item=bolt, location=store).reserved == D(0)


def test_a_purchase_send_sent_three_times_with_one_key_sends_once(api, purchase_order):
    sent = thrice(api, f"/api/v1/purchase-orders/{purchase_order['id']}/send/")
    assert sent.json()["status"] == "sent"


def test_a_purchase_cancel_with_another_reason_and_the_same_key_is_refused_with_422(api, purchase_order):
    url = f"/api/v1/purchase-orders/{purchase_order['id']}/cancel/"
    assert post(api, url, {"reason": "not needed"}, key="k").status_code == 200
    response = post(api, url, {"reason": "found elsewhere"}, key="k")
    assert response.status_code == 422


def test_another_user_reusing_a_key_runs_their_own_create_and_never_sees_the_first_answer(acme, api, in_acme):
    planner = UserFactory(username="planner")
    user_set_role(user=planner, role="planner", by=None)
    planner_api = logged_in(Client(HTTP_HOST=host_of(acme)), acme, "planner")
    boss_answer = post(api, "/api/v1/partners/", {"code": "P-BOSS", "name": "Boss's", "is_customer": True}, key="k")
    planner_body = {"code": "P-PLAN", "name": "Planner's", "is_customer": True}
    planner_answer = post(planner_api, "/api/v1/partners/", planner_body, key="k")
    assert planner_answer.status_code == 201, planner_answer.json()
    assert planner_answer.json()["code"] == "P-PLAN" and boss_answer.json()["code"] == "P-BOSS"
    assert post(planner_api, "/api/v1/partners/", planner_body, key="k").content == planner_answer.content
    assert Partner.objects.filter(code__in=["P-BOSS", "P-PLAN"]).count() == 2
