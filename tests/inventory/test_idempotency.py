"""Stock writes over the API are safe to retry: one Idempotency-Key, one move, the same bytes each time."""

from decimal import Decimal

import pytest
from django.test import Client
from django_tenants.utils import tenant_context

from access.services import api_key_create, user_set_role
from core.idempotency import HEADER, REPLAYED_HEADER
from inventory.models import StockLevel, StockMove
from inventory.services import stock_receive
from tests.conftest import host_of
from tests.inventory.conftest import logged_in
from tests.inventory.factories import ItemFactory, LocationFactory, UserFactory
from tests.orders.test_concurrency import race
from tests.support import in_tenant

D = Decimal


def post(client, url, body, key):
    return client.post(url, body, content_type="application/json", headers={HEADER: key})


def thrice(client, url, body, key="retry-1"):
    return [post(client, url, body, key) for _ in range(3)]


@pytest.fixture
def item(in_acme):
    return ItemFactory(sku="BOLT-10")


@pytest.fixture
def a1(in_acme):
    return LocationFactory(code="A1")


def receipt_body(item, location, quantity="5"):
    return {"item": item.pk, "quantity": quantity, "reason": "receipt", "to_location": location.pk}


def test_a_move_posted_three_times_with_one_key_posts_once(acme_api, item, a1):
    responses = thrice(acme_api, "/api/v1/moves/", receipt_body(item, a1))
    assert [r.status_code for r in responses] == [201, 201, 201]
    assert StockMove.objects.filter(item=item).count() == 1
    assert StockLevel.objects.get(item=item, location=a1).on_hand == D(5)


def test_the_replays_of_a_move_are_byte_identical_to_the_first_answer(acme_api, item, a1):
    first, *retries = thrice(acme_api, "/api/v1/moves/", receipt_body(item, a1))
    assert first.get(REPLAYED_HEADER) is None
    for retry in retries:
        assert retry.content == first.content
        assert retry["Content-Type"] == first["Content-Type"]
        assert retry[REPLAYED_HEADER] == "true"


def test_the_same_key_with_another_body_is_refused_with_422(acme_api, item, a1):
    post(acme_api, "/api/v1/moves/", receipt_body(item, a1), "k")
    response = post(acme_api, "/api/v1/moves/", receipt_body(item, a1, quantity="6"), "k")
    assert response.status_code == 422
    assert "already used for a different request" in response.json()["detail"]
    assert StockLevel.objects.get(item=item, location=a1).on_hand == D(5)


def test_a_refused_move_keeps_its_key_usable(acme_api, item, a1):
    issue = {"item": item.pk, "quantity": "5", "reason": "issue", "from_location": a1.pk}
    refused = post(acme_api, "/api/v1/moves/", issue, "k")
    assert refused.status_code == 400  # nothing on hand
    stock_receive(item=item, location=a1, quantity=5, user=None)
    posted = post(acme_api, "/api/v1/moves/", issue, "k")
    assert posted.status_code == 201
    stock_receive(item=item, location=a1, quantity=5, user=None)
    assert post(acme_api, "/api/v1/moves/", issue, "k").content == posted.content  # now kept: replayed
    assert StockLevel.objects.get(item=item, location=a1).on_hand == D(5)


def test_a_move_reversed_three_times_with_one_key_reverses_once(acme_api, item, a1):
    move = stock_receive(item=item, location=a1, quantity=4, user=None)
    first, *retries = thrice(acme_api, f"/api/v1/moves/{move.pk}/reverse/", {})
    assert first.status_code == 201, first.json()
    assert all(retry.content == first.content for retry in retries)
    assert StockMove.objects.filter(reverses=move).count() == 1
    assert StockLevel.objects.get(item=item, location=a1).on_hand == D(0)


def test_a_count_sent_three_times_with_one_key_adjusts_once(acme_api, item, a1):
    stock_receive(item=item, location=a1, quantity=10, user=None)
    body = {"item": item.pk, "location": a1.pk, "counted_quantity": "7"}
    first, *retries = thrice(acme_api, "/api/v1/moves/count/", body)
    assert first.status_code == 201, first.json()
    assert all(retry.content == first.content for retry in retries)
    assert StockMove.objects.filter(item=item, reason="adjustment").count() == 1


def test_another_user_with_the_same_key_runs_their_own_request(acme, acme_api, item, a1):
    clerk = UserFactory(username="clerk")
    user_set_role(user=clerk, role="operator", by=None)
    clerk_api = logged_in(Client(HTTP_HOST=host_of(acme)), acme, "clerk")
    boss_answer = post(acme_api, "/api/v1/moves/", receipt_body(item, a1), "shared")
    clerk_answer = post(clerk_api, "/api/v1/moves/", receipt_body(item, a1), "shared")
    assert clerk_answer.status_code == 201
    assert clerk_answer.get(REPLAYED_HEADER) is None
    assert clerk_answer.json()["id"] != boss_answer.json()["id"]
    assert post(clerk_api, "/api/v1/moves/", receipt_body(item, a1), "shared").content == clerk_answer.content
    assert post(acme_api, "/api/v1/moves/", receipt_body(item, a1), "shared").content == boss_answer.content
    assert StockLevel.objects.get(item=item, location=a1).on_hand == D(10)


def test_another_tenant_with_the_same_key_runs_its_own_request(acme, globex, acme_api, globex_api):
    bodies = {}
    for tenant in (acme, globex):
        with tenant_context(tenant):
            bodies[tenant.slug] = receipt_body(ItemFactory(sku="SAME"), LocationFactory(code="SAME"))
    acme_answer, acme_retry = [post(acme_api, "/api/v1/moves/", bodies[acme.slug], "shared") for _ in range(2)]
    assert acme_retry.content == acme_answer.content
    globex_answer = post(globex_api, "/api/v1/moves/", bodies[globex.slug], "shared")
    assert globex_answer.status_code == 201
    assert globex_answer.get(REPLAYED_HEADER) is None
    assert globex_answer.content != acme_answer.content
    assert post(globex_api, "/api/v1/moves/", bodies[globex.slug], "shared").content == globex_answer.content
    for tenant in (acme, globex):
        with tenant_context(tenant):
            assert StockMove.objects.filter(item__sku="SAME").count() == 1


def test_concurrent_moves_with_one_key_post_once(scratch_tenant):
    def setup():
        operator = UserFactory(username="integrator")
        user_set_role(user=operator, role="operator", by=None)
        key = api_key_create(name="retry", scope="read_write", user=operator, created_by=None).key
        return receipt_body(ItemFactory(sku="RACE"), LocationFactory(code="RACE")), key

    body, api_key = in_tenant(scratch_tenant, setup)

    def send():
        client = Client(HTTP_HOST=host_of(scratch_tenant), HTTP_AUTHORIZATION=f"Api-Key {api_key}")
        response = post(client, "/api/v1/moves/", body, "same-key")
        return response.status_code, response.content

    responses, failures = race(scratch_tenant, [send, send, send])
    assert failures == []
    assert [status for status, _ in responses] == [201, 201, 201]
    assert len({content for _, content in responses}) == 1
    assert in_tenant(scratch_tenant, lambda: StockMove.objects.filter(item__sku="RACE").count()) == 1
