"""Per-tenant meters: counted in Redis on the request path (one round trip), rolled up into TenantUsageDay, shown on
the ops page and, aggregated per plan and cell, on /metrics."""

import re
import uuid
from datetime import UTC, datetime, timedelta

import pytest
import redis
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.core.management import call_command
from django.test import Client
from django_tenants.utils import tenant_context

from fleet import meters
from fleet.models import TenantUsageDay
from fleet.usage import usage_rollup
from tests.conftest import host_of

TOKEN = "metrics-test-token-0123456789"


@pytest.fixture(autouse=True)
def _own_meters(settings):
    """Meters of this test only: earlier tests' requests to acme never reach these counts."""
    settings.METERS_KEY_PREFIX = f"meters-test-{uuid.uuid4().hex[:12]}"
    yield
    client = meters._client(settings.REDIS_URL)  # not meters.client, which a test may have replaced
    for key in client.scan_iter(match=f"{settings.METERS_KEY_PREFIX}:*"):
        client.delete(key)


def day_counts(tenant) -> dict[str, int]:
    today = datetime.now(UTC).date()
    return meters.parse_counters(meters.client().hgetall(meters.day_key(tenant.schema_name, today)))


def ops_client(**perms) -> Client:
    user = get_user_model().objects.create_user(f"ops-{uuid.uuid4().hex[:8]}", password="x", is_staff=True)
    if perms.get("view"):
        user.user_permissions.add(Permission.objects.get(codename="view_tenantusageday"))
    client = Client(HTTP_HOST=settings.BASE_DOMAIN)
    client.force_login(user)
    return client


# --- counting on the request path ----------------------------------------------------------------------------------


def test_a_tenant_request_is_counted_in_its_day_hash(acme, acme_client):
    acme_client.get("/api/no-such-endpoint/")
    counts = day_counts(acme)
    assert counts["requests"] == 1
    assert counts["api_calls"] == 1
    assert counts["errors_4xx"] == 1
    assert counts["errors_5xx"] == 0
    assert sum(counts[f] for f in meters.BUCKET_FIELDS) == 1


def test_a_page_request_is_no_api_call(acme, acme_client):
    acme_client.get("/accounts/login/")
    counts = day_counts(acme)
    assert counts["requests"] == 1
    assert counts["api_calls"] == 0


@pytest.mark.urls("tests.tenants.failing_urls")
def test_a_server_error_counts_as_5xx(acme):
    Client(HTTP_HOST=host_of(acme), raise_request_exception=False).get("/boom/")
    counts = day_counts(acme)
    assert counts["errors_5xx"] == 1
    assert counts["errors_4xx"] == 0


def test_the_middleware_makes_one_redis_round_trip_and_no_other_command(acme_client, monkeypatch):
    calls = {"pipelines": 0, "commands": 0}
    real_execute, real_command = redis.client.Pipeline.execute, redis.Redis.execute_command

    def execute(self, *args, **kwargs):
        calls["pipelines"] += 1
        return real_execute(self, *args, **kwargs)

    def command(self, *args, **kwargs):
        calls["commands"] += 1
        return real_command(self, *args, **kwargs)

    monkeypatch.setattr(meters, "record", _only_meters(meters.record, calls, execute, command, monkeypatch))
    acme_client.get("/accounts/login/")
    assert calls == {"pipelines": 1, "commands": 0}


def _only_meters(record, calls, execute, command, monkeypatch):
    """Spy on Redis only while the meters record (the rate limiter and sessions make their own calls)."""

    def spied(**kwargs):
        with monkeypatch.context() as m:
            m.setattr(redis.client.Pipeline, "execute", execute)
            m.setattr(redis.Redis, "execute_command", command)
            record(**kwargs)

    return spied


def test_the_public_host_is_not_metered(acme):
    Client(HTTP_HOST=settings.BASE_DOMAIN).get("/")
    assert list(meters.client().scan_iter(match=f"{settings.METERS_KEY_PREFIX}:day:*")) == []


def test_one_tenants_traffic_is_never_counted_for_another(acme, globex, acme_client):
    for _ in range(3):
        acme_client.get("/api/no-such-endpoint/")
    assert day_counts(acme)["requests"] == 3
    assert day_counts(globex)["requests"] == 0


def test_latency_lands_in_its_bucket_and_p95_reads_the_buckets():
    now = datetime.now(UTC).timestamp()
    for elapsed in [3] * 90 + [40] * 5 + [800] * 5:
        meters.record(schema_name="lat", plan="free", cell="default", status=200, elapsed_ms=elapsed, api=True, now=now)
    today = datetime.now(UTC).date()
    counts = meters.parse_counters(meters.client().hgetall(meters.day_key("lat", today)))
    assert (counts["le_5"], counts["le_50"], counts["le_1000"]) == (90, 5, 5)
    assert meters.p95_ms(counts) == 50
    assert meters.p95_ms(meters.parse_counters({})) is None


def test_redis_down_lets_the_request_through_uncounted(acme_client, monkeypatch):
    monkeypatch.setattr(meters, "_store_down_until", 0.0)
    monkeypatch.setattr(meters, "client", lambda: redis.Redis(port=1, socket_connect_timeout=0.05))
    assert acme_client.get("/accounts/login/").status_code == 200
    assert meters._store_down_until > 0


# --- the rollup ---------------------------------------------------------------------------------------------------


def test_the_rollup_writes_the_day_row_with_the_counted_numbers(acme, globex):
    now = datetime.now(UTC)
    for status, elapsed in [(200, 3), (200, 3), (503, 700), (404, 20)]:
        meters.record(
            schema_name=acme.schema_name, plan=acme.plan, cell="default", status=status, elapsed_ms=elapsed, api=True,
            now=now.timestamp() - 60,
        )  # fmt: skip
    usage_rollup(now=now)
    row = TenantUsageDay.objects.get(tenant=acme, day=now.date())
    assert (row.requests, row.api_calls, row.errors_5xx, row.errors_4xx) == (4, 4, 1, 1)
    assert row.latency_buckets == {"le_5": 2, "le_25": 1, "le_1000": 1}
    assert row.p95_ms == 1000
    assert row.requests_last_5min == 4
    assert row.seats == 1  # acme's admin
    assert row.storage_bytes > 100_000
    assert TenantUsageDay.objects.get(tenant=globex, day=now.date()).requests == 0


def test_the_rollup_run_twice_counts_nothing_twice(acme):
    now = datetime.now(UTC)
    meters.record(schema_name=acme.schema_name, plan="standard", cell="default", status=200, elapsed_ms=1, api=False,
                  now=now.timestamp())  # fmt: skip
    usage_rollup(now=now)
    usage_rollup(now=now)
    assert TenantUsageDay.objects.get(tenant=acme, day=now.date()).requests == 1


def test_the_rollup_counts_active_users_as_seats(acme):
    with tenant_context(acme):
        get_user_model().objects.create_user("seat-1")
        get_user_model().objects.create_user("seat-gone", is_active=False)
    usage_rollup()
    assert TenantUsageDay.objects.get(tenant=acme, day=datetime.now(UTC).date()).seats == 2


def test_the_rollup_counts_its_queued_jobs_as_queue_depth(acme, globex):
    from fleet.models import FanOutResult, FanOutRun

    run = FanOutRun.objects.create(job="tenant_stats", actor="ops")
    FanOutResult.objects.create(run=run, tenant=acme, queue="q", status=FanOutResult.Status.QUEUED)
    FanOutResult.objects.create(run=run, tenant=globex, queue="q", status=FanOutResult.Status.OK)
    usage_rollup()
    today = datetime.now(UTC).date()
    assert TenantUsageDay.objects.get(tenant=acme, day=today).queue_depth == 1
    assert TenantUsageDay.objects.get(tenant=globex, day=today).queue_depth == 0


def test_the_rollup_finishes_yesterday_without_touching_its_measured_seats(acme):
    now = datetime.now(UTC)
    yesterday = now.date() - timedelta(days=1)
    TenantUsageDay.objects.create(tenant=acme, day=yesterday, requests=1, seats=7, updated_at=now)
    meters.record(schema_name=acme.schema_name, plan="standard", cell="default", status=200, elapsed_ms=1, api=False,
                  now=now.timestamp() - 86400)  # fmt: skip
    usage_rollup(now=now)
    row = TenantUsageDay.objects.get(tenant=acme, day=yesterday)
    assert (row.requests, row.seats) == (1, 7)


def test_the_usage_rollup_command_reports_its_rows(acme):
    from io import StringIO

    out = StringIO()
    call_command("usage_rollup", stdout=out)
    assert "usage rollup:" in out.getvalue()


def test_beat_runs_the_rollup_task():
    from erp.celery import app

    app.loader.import_default_modules()  # what a beat or worker does at start: autodiscovery finds fleet.tasks
    assert settings.CELERY_BEAT_SCHEDULE["fleet-usage-rollup"]["task"] in app.tasks


# --- the ops page -------------------------------------------------------------------------------------------------


def _usage(tenant, **fields):
    return TenantUsageDay.objects.create(tenant=tenant, day=datetime.now(UTC).date(), updated_at=datetime.now(UTC),
                                         **fields)  # fmt: skip


def test_the_ops_page_sorts_by_error_rate(acme, globex):
    _usage(acme, requests=100, errors_5xx=1)
    _usage(globex, requests=10, errors_5xx=5)
    client = ops_client(view=True)
    page = client.get("/admin/fleet/tenantusageday/", {"o": "-5"}).content.decode()  # column 5: 5xx rate
    assert page.index("globex") < page.index("acme")
    page = client.get("/admin/fleet/tenantusageday/", {"o": "5"}).content.decode()
    assert page.index("acme") < page.index("globex")


def test_the_ops_page_puts_a_quiet_tenant_after_a_failing_one(acme, globex):
    _usage(acme, requests=0)
    _usage(globex, requests=10, errors_5xx=1)
    page = ops_client(view=True).get("/admin/fleet/tenantusageday/", {"o": "-5"}).content.decode()
    assert page.index("globex") < page.index("acme")


def test_the_ops_page_sorts_by_requests(acme, globex):
    _usage(acme, requests=5)
    _usage(globex, requests=500)
    page = ops_client(view=True).get("/admin/fleet/tenantusageday/", {"o": "-3"}).content.decode()
    assert page.index("globex") < page.index("acme")


def test_the_ops_page_is_refused_to_staff_without_the_permission(acme):
    _usage(acme, requests=5)
    assert ops_client().get("/admin/fleet/tenantusageday/").status_code == 403


def test_the_ops_page_sends_anonymous_visitors_to_sign_in():
    response = Client(HTTP_HOST=settings.BASE_DOMAIN).get("/admin/fleet/tenantusageday/")
    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]


def test_the_ops_page_is_not_reachable_from_a_tenant_host_even_by_its_superuser(acme, globex):
    _usage(globex, requests=5)
    with tenant_context(acme):
        boss = get_user_model().objects.create_superuser("usage-boss", "b@acme.test", "pw")
        client = Client(HTTP_HOST=host_of(acme))
        client.force_login(boss)
    response = client.get("/admin/fleet/tenantusageday/")
    assert response.status_code in (403, 404)
    assert "globex" not in response.content.decode()


# --- /metrics -----------------------------------------------------------------------------------------------------


def test_metrics_refuses_a_post(settings):
    settings.METRICS_TOKEN = TOKEN
    response = Client(HTTP_HOST=settings.BASE_DOMAIN).post("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}")
    assert response.status_code == 405


def test_metrics_is_404_without_a_token_configured(settings):
    settings.METRICS_TOKEN = ""
    response = Client(HTTP_HOST=settings.BASE_DOMAIN).get("/metrics", HTTP_AUTHORIZATION="Bearer ")
    assert response.status_code == 404


def test_metrics_without_a_bearer_token_is_401(settings):
    settings.METRICS_TOKEN = TOKEN
    response = Client(HTTP_HOST=settings.BASE_DOMAIN).get("/metrics")
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_metrics_with_a_wrong_token_is_403(settings):
    settings.METRICS_TOKEN = TOKEN
    response = Client(HTTP_HOST=settings.BASE_DOMAIN).get("/metrics", HTTP_AUTHORIZATION="Bearer wrong")
    assert response.status_code == 403


def test_metrics_is_not_served_on_a_tenant_host(settings, acme):
    settings.METRICS_TOKEN = TOKEN
    response = Client(HTTP_HOST=host_of(acme)).get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}")
    assert response.status_code == 404


def test_metrics_are_per_plan_and_cell_with_no_tenant_label(settings, acme, globex, acme_client, globex_client):
    settings.METRICS_TOKEN = TOKEN
    acme_client.get("/api/no-such-endpoint/")
    acme_client.get("/accounts/login/")
    globex_client.get("/accounts/login/")
    usage_rollup()
    response = Client(HTTP_HOST=settings.BASE_DOMAIN).get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain; version=")
    text = response.content.decode()
    assert 'erp_http_requests_total{cell="default",plan="standard"} 2.0' in text
    assert 'erp_http_requests_total{cell="default",plan="premium"} 1.0' in text
    assert 'erp_http_errors_4xx_total{cell="default",plan="standard"} 1.0' in text
    assert 'erp_http_request_duration_seconds_bucket{cell="default",le="+Inf",plan="standard"} 2.0' in text
    assert re.search(r'erp_tenants\{cell="default",plan="standard",status="active"\} [1-9]', text)
    assert re.search(r'erp_tenant_storage_bytes\{cell="default",plan="premium"\} [1-9]', text)
    labels = {name for block in re.findall(r"\{([^}]*)\}", text) for name in re.findall(r'(\w+)="', block)}
    assert labels <= {"plan", "cell", "status", "le"}
    assert "acme" not in text and "globex" not in text
