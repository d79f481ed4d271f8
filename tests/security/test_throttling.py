"""Rate limits are per tenant and plan: shared by all of a tenant's users, never spent by another tenant."""

import os
import subprocess
import sys
import time
import uuid

import pytest
from django.conf import settings as django_settings
from django.contrib.auth import get_user_model
from django.test import Client
from django_tenants.utils import tenant_context

from tests.conftest import host_of


@pytest.fixture
def tight_rates(settings):
    """acme (standard) may make 3 requests a minute, globex (premium) 4; counters of this test only."""
    settings.TENANT_API_RATES = {"free": "2/min", "standard": "3/min", "premium": "4/min"}
    default = settings.CACHES["default"]
    settings.CACHES = {**settings.CACHES, "default": {**default, "KEY_PREFIX": f"throttle-{uuid.uuid4().hex[:8]}"}}


def signed_in(tenant, username: str) -> Client:
    client = Client(HTTP_HOST=host_of(tenant))
    with tenant_context(tenant):
        user = get_user_model().objects.filter(username=username).first()
        user = user or get_user_model().objects.create_user(username, password="throttle-pass-1")
        client.force_login(user)
    return client


def test_the_limit_is_shared_by_all_users_of_a_tenant(tight_rates, acme):
    boss, clerk = signed_in(acme, "boss"), signed_in(acme, "throttled-clerk")
    statuses = [client.get("/api/v1/items/").status_code for client in (boss, clerk, boss)]
    assert statuses == [200, 200, 200]
    assert clerk.get("/api/v1/items/").status_code == 429
    assert boss.get("/api/v1/locations/").status_code == 429


def test_a_throttled_answer_says_when_to_retry(tight_rates, acme):
    client = signed_in(acme, "boss")
    for _ in range(3):
        client.get("/api/v1/items/")
    response = client.get("/api/v1/items/")
    assert response.status_code == 429
    assert 1 <= int(response["Retry-After"]) <= 60
    assert "throttled" in response.json()["detail"].lower()


def test_another_tenant_is_unaffected(tight_rates, acme, globex):
    acme_boss = signed_in(acme, "boss")
    for _ in range(4):
        acme_boss.get("/api/v1/items/")
    assert acme_boss.get("/api/v1/items/").status_code == 429
    globex_boss = signed_in(globex, "boss")
    assert [globex_boss.get("/api/v1/items/").status_code for _ in range(4)] == [200] * 4
    assert globex_boss.get("/api/v1/items/").status_code == 429  # its own, larger premium budget


def test_rates_follow_the_plan(tight_rates, acme):
    acme.plan = "free"
    client = signed_in(acme, "boss")
    from tenants.models import Tenant
    from tenants.routing import routing_cache

    Tenant.objects.filter(pk=acme.pk).update(plan="free")
    routing_cache.clear()
    assert [client.get("/api/v1/items/").status_code for _ in range(3)] == [200, 200, 429]


# --- Early refusal (access.middleware.EarlyThrottleMiddleware) -----------------------------------------------------


def tenant_budget_used(tenant) -> int:
    """How many requests the tenant's budget has taken (its burst is its per-minute count, and within a test run
    nothing comes back: one request does every 20 s at 3/min)."""
    from access import ratelimit

    budget = ratelimit.budget_of(tenant)
    state = ratelimit._limiter(budget.quota, ratelimit._redis_url()).peek(budget.key)
    return state.limit - state.remaining


def test_a_spent_budget_is_refused_before_session_auth_or_database(tight_rates, acme, django_assert_num_queries):
    client = signed_in(acme, "boss")
    for _ in range(3):
        assert client.get("/api/v1/items/").status_code == 200
    with django_assert_num_queries(0):
        response = client.get("/api/v1/items/")
    assert response.status_code == 429
    assert 1 <= int(response["Retry-After"]) <= 60
    assert "throttled" in response.json()["detail"].lower()
    assert not hasattr(response.wsgi_request, "user")  # refused before authentication ran


def test_an_api_key_flood_is_refused_early_and_the_other_tenant_still_served(tight_rates, acme, globex):
    from access.services import api_key_create

    with tenant_context(acme):
        user = get_user_model().objects.create_user("keyed-flooder", password=None)
        key = api_key_create(name="flood", scope="read_only", user=user, created_by=None).key
    flooder = Client(HTTP_HOST=host_of(acme), HTTP_AUTHORIZATION=f"Api-Key {key}")
    assert [flooder.get("/api/v1/items/").status_code for _ in range(10)] == [200] * 3 + [429] * 7
    globex_boss = signed_in(globex, "boss")
    assert [globex_boss.get("/api/v1/items/").status_code for _ in range(4)] == [200] * 4


def test_a_request_is_taken_once_and_early_refusals_not_at_all(tight_rates, acme):
    client = signed_in(acme, "boss")
    client.get("/api/v1/items/")
    client.get("/api/v1/items/")
    assert tenant_budget_used(acme) == 2  # the throttle counted each once; the middleware takes nothing
    client.get("/api/v1/items/")
    for _ in range(5):
        assert client.get("/api/v1/items/").status_code == 429
    assert tenant_budget_used(acme) == 3


def test_an_api_request_makes_one_redis_round_trip_the_take(tight_rates, acme, monkeypatch):
    from access import ratelimit

    asked = []
    real = ratelimit._limiter

    class Counting:
        def __init__(self, limiter) -> None:
            self._limiter = limiter

        def __getattr__(self, name: str):
            asked.append(name)
            return getattr(self._limiter, name)

    monkeypatch.setattr(ratelimit, "_limiter", lambda quota, url: Counting(real(quota, url)))
    assert signed_in(acme, "boss").get("/api/v1/items/").status_code == 200
    assert asked == ["limit"]


def test_a_process_that_has_not_seen_the_budget_spent_refuses_at_the_take_then_early(
    tight_rates, acme, monkeypatch, django_assert_num_queries
):
    from access import ratelimit

    client = signed_in(acme, "boss")
    for _ in range(3):
        client.get("/api/v1/items/")
    monkeypatch.setattr(ratelimit, "_spent_until", {})  # another web process: it took none of the three
    assert client.get("/api/v1/items/").status_code == 429
    assert tenant_budget_used(acme) == 3
    with django_assert_num_queries(0):
        assert client.get("/api/v1/items/").status_code == 429


def test_made_up_credentials_do_not_spend_the_tenant_budget(tight_rates, acme):
    outsider = Client(HTTP_HOST=host_of(acme), HTTP_AUTHORIZATION="Api-Key not-a-real-key")
    assert [outsider.get("/api/v1/items/").status_code for _ in range(5)] == [401] * 5
    assert tenant_budget_used(acme) == 0
    assert [signed_in(acme, "boss").get("/api/v1/items/").status_code for _ in range(3)] == [200] * 3


def test_pages_outside_the_api_are_not_refused_early(tight_rates, acme):
    client = signed_in(acme, "boss")
    for _ in range(4):
        client.get("/api/v1/items/")
    assert client.get("/inventory/").status_code == 200


def test_a_spent_budget_is_remembered_and_not_asked_of_redis_again(tight_rates, acme, monkeypatch):
    from access import ratelimit

    client = signed_in(acme, "boss")
    for _ in range(3):
        client.get("/api/v1/items/")
    assert client.get("/api/v1/items/").status_code == 429  # learnt from Redis

    def no_redis(*args, **kwargs):
        raise AssertionError("asked Redis again")

    monkeypatch.setattr(ratelimit, "_limiter", no_redis)
    assert client.get("/api/v1/items/").status_code == 429


def test_a_larger_plan_limit_lifts_the_remembered_refusal(tight_rates, acme, settings):
    client = signed_in(acme, "boss")
    for _ in range(3):
        client.get("/api/v1/items/")
    assert client.get("/api/v1/items/").status_code == 429
    settings.TENANT_API_RATES = {**settings.TENANT_API_RATES, "standard": "10/min"}
    assert client.get("/api/v1/items/").status_code == 200


def test_past_the_burst_the_budget_comes_back_at_the_sustained_rate(settings, acme):
    """60 a minute with a burst of 2: two at once, then one a second, not the rest of the minute's 60 at once."""
    settings.TENANT_API_RATES = {**settings.TENANT_API_RATES, "standard": "60/min burst 2"}
    default = settings.CACHES["default"]
    settings.CACHES = {**settings.CACHES, "default": {**default, "KEY_PREFIX": f"throttle-{uuid.uuid4().hex[:8]}"}}
    client = signed_in(acme, "boss")
    assert [client.get("/api/v1/items/").status_code for _ in range(3)] == [200, 200, 429]
    time.sleep(1.1)
    assert [client.get("/api/v1/items/").status_code for _ in range(2)] == [200, 429]


def test_a_malformed_plan_quota_stops_the_settings_with_one_readable_line():
    env = {**os.environ, "TENANT_API_RATE_FREE": "lots a minute", "DJANGO_SETTINGS_MODULE": "erp.settings"}
    result = subprocess.run(
        [sys.executable, "-c", "import erp.settings"],
        env=env,
        cwd=django_settings.BASE_DIR,
        capture_output=True,
        text=True,
    )
    assert result.returncode != 0
    assert "TENANT_API_RATE_FREE='lots a minute' is not '<n>/<s|min|hour|day> [burst <n>]'" in result.stderr


# --- Redis out of reach: fail open, say so, never a 500 (access.ratelimit) -----------------------------------------


@pytest.fixture
def redis_unreachable(settings, monkeypatch):
    """The budget store (the cache's Redis) points at a port nothing listens on; this process has not failed yet."""
    from access import ratelimit
    from erp.localservices import free_port

    default = settings.CACHES["default"]
    settings.CACHES = {**settings.CACHES, "default": {**default, "LOCATION": f"redis://127.0.0.1:{free_port()}/0"}}
    monkeypatch.setattr(ratelimit, "_store_down_until", 0.0)
    monkeypatch.setattr(ratelimit, "_failed_open_logged_at", {})


def test_with_redis_unreachable_the_api_answers_unthrottled(redis_unreachable, acme):
    client = signed_in(acme, "boss")
    assert [client.get("/api/v1/items/").status_code for _ in range(3)] == [200, 200, 200]
    response = client.post("/api/v1/units/", {"code": "bx", "name": "Box"}, content_type="application/json")
    assert response.status_code == 201


def test_with_redis_unreachable_the_log_says_the_budget_failed_open_once_with_the_tenant(
    redis_unreachable, acme, caplog
):
    client = signed_in(acme, "boss")
    with caplog.at_level("WARNING", logger="access.ratelimit"):
        for _ in range(3):
            client.get("/api/v1/items/")
    lines = [r.getMessage() for r in caplog.records if r.name == "access.ratelimit"]
    assert len(lines) == 1
    assert "failing open for tenant acme" in lines[0]


def test_with_redis_unreachable_an_anonymous_token_request_is_answered_not_a_500(redis_unreachable, acme):
    client = Client(HTTP_HOST=host_of(acme))
    response = client.post(
        "/api/v1/auth/token/", {"username": "nobody", "password": "wrong"}, content_type="application/json"
    )
    assert response.status_code == 401


def test_with_redis_unreachable_for_routing_and_budget_the_api_still_answers(redis_unreachable, acme, monkeypatch):
    """Both Redis users of a request down at once: routing looks the tenant up, the budget fails open."""
    from tenants.routing import routing_cache

    class DeadSubscription:
        def is_set(self) -> bool:
            return False

        def wait(self, timeout: float | None = None) -> bool:
            return False

    monkeypatch.setattr(routing_cache, "_live", DeadSubscription())
    client = signed_in(acme, "boss")
    assert [client.get("/api/v1/items/").status_code for _ in range(2)] == [200, 200]
