"""Per-tenant traffic meters, counted in Redis on the request path and rolled up into `TenantUsageDay` (fleet.usage).

`TenantMetersMiddleware` (right after tenant routing) records every tenant request in **one pipelined Redis round
trip**, no database write:

- the tenant's day hash `<prefix>:meters:day:<schema>:<YYYY-MM-DD>` (UTC day, expires after `DAY_TTL`): requests,
  API calls, 5xx and 4xx errors, the latency bucket of the request and the summed milliseconds;
- the tenant's minute counter `<prefix>:meters:min:<schema>:<epoch minute>` (expires after `MINUTE_TTL`), so the rollup
  can tell the current request rate, not only the day's average;
- the fleet totals hash `<prefix>:meters:plan:<cell>:<plan>` (no expiry): the same counters summed per plan and cell,
  ever growing, which is what Prometheus counters are (`fleet.metrics`). Never a key or label per tenant there.

Latency buckets are fixed (`BUCKETS_MS`, upper bounds in ms, plus +Inf), counted non-cumulatively with HINCRBY; the
95th percentile is the upper bound of the bucket where 95 % of the requests are reached (`p95_ms`).

With Redis out of reach the request goes on uncounted: the process does not ask again for `STORE_RETRY_SECONDS`, and
logs it once per outage. Meters are for billing and operations, not a reason to fail a tenant's request.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping
from datetime import UTC, date, datetime
from functools import cache

import redis
from django.conf import settings
from django.http import HttpRequest, HttpResponse

logger = logging.getLogger(__name__)

# Upper bounds of the latency buckets, in milliseconds; a request slower than the last lands in "inf".
BUCKETS_MS = (5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000)
BUCKET_FIELDS = (*(f"le_{ms}" for ms in BUCKETS_MS), "le_inf")
COUNTER_FIELDS = ("requests", "api_calls", "errors_5xx", "errors_4xx", "latency_ms_sum")
DAY_TTL = 3 * 86400  # a day's hash outlives the day by two, for the rollup to finish it
MINUTE_TTL = 900  # the rollup reads the last 5 closed minutes
API_PREFIX = "/api/"
DEFAULT_CELL = "default"  # cells are not built yet: every tenant is in the one cell
STORE_TIMEOUT = 0.25
STORE_RETRY_SECONDS = 5.0

_store_down_until = 0.0


def cell_of(tenant) -> str:
    return getattr(tenant, "cell", None) or DEFAULT_CELL


def _prefix() -> str:
    return getattr(settings, "METERS_KEY_PREFIX", "") or f"{settings.CACHES['default']['KEY_PREFIX']}:meters"


def day_key(schema_name: str, day: date) -> str:
    return f"{_prefix()}:day:{schema_name}:{day.isoformat()}"


def minute_key(schema_name: str, minute: int) -> str:
    return f"{_prefix()}:min:{schema_name}:{minute}"


def plan_key(cell: str, plan: str) -> str:
    return f"{_prefix()}:plan:{cell}:{plan}"


def plan_keys_pattern() -> str:
    return f"{_prefix()}:plan:*"


def bucket_field(elapsed_ms: float) -> str:
    for bound, field in zip(BUCKETS_MS, BUCKET_FIELDS, strict=False):
        if elapsed_ms <= bound:
            return field
    return "le_inf"


@cache
def _client(url: str) -> redis.Redis:
    return redis.Redis.from_url(url, socket_timeout=STORE_TIMEOUT, socket_connect_timeout=STORE_TIMEOUT)


def client() -> redis.Redis:
    return _client(settings.REDIS_URL)


def record(*, schema_name: str, plan: str, cell: str, status: int, elapsed_ms: float, api: bool, now: float) -> None:
    """Count one request of the tenant `schema_name`: one pipelined round trip (no MULTI), Redis errors swallowed."""
    global _store_down_until
    if time.monotonic() < _store_down_until:
        return
    day = datetime.fromtimestamp(now, UTC).date()
    fields = ["requests", bucket_field(elapsed_ms)]
    if api:
        fields.append("api_calls")
    if status >= 500:
        fields.append("errors_5xx")
    elif status >= 400:
        fields.append("errors_4xx")
    ms = round(elapsed_ms)
    dkey, mkey, pkey = day_key(schema_name, day), minute_key(schema_name, int(now // 60)), plan_key(cell, plan)
    pipe = client().pipeline(transaction=False)
    for field in fields:
        pipe.hincrby(dkey, field, 1)
        pipe.hincrby(pkey, field, 1)
    pipe.hincrby(dkey, "latency_ms_sum", ms)
    pipe.hincrby(pkey, "latency_ms_sum", ms)
    pipe.expire(dkey, DAY_TTL)
    pipe.hincrby(mkey, "requests", 1)
    if status >= 500:
        pipe.hincrby(mkey, "errors_5xx", 1)
    pipe.expire(mkey, MINUTE_TTL)
    try:
        pipe.execute()
    except (redis.RedisError, OSError) as exc:
        _store_down_until = time.monotonic() + STORE_RETRY_SECONDS
        logger.warning("Tenant meters store unreachable; requests go uncounted for %ss: %s", STORE_RETRY_SECONDS, exc)


def _int(raw: Mapping, field: str) -> int:
    value = raw.get(field.encode(), raw.get(field, 0))
    return int(value or 0)


def parse_counters(raw: Mapping) -> dict[str, int]:
    """A day or plan hash as read from Redis (bytes keys) -> every counter and bucket, absent ones as 0."""
    return {field: _int(raw, field) for field in (*COUNTER_FIELDS, *BUCKET_FIELDS)}


def p95_ms(buckets: Mapping[str, int]) -> int | None:
    """Upper bound (ms) of the bucket holding the 95th percentile; None without requests; the last bound doubled
    for requests slower than every bound (the "inf" bucket has no upper bound to report)."""
    total = sum(buckets.get(field, 0) for field in BUCKET_FIELDS)
    if not total:
        return None
    reached = 0
    for bound, field in zip((*BUCKETS_MS, BUCKETS_MS[-1] * 2), BUCKET_FIELDS, strict=True):
        reached += buckets.get(field, 0)
        if reached * 100 >= total * 95:
            return bound
    return BUCKETS_MS[-1] * 2


class TenantMetersMiddleware:
    """Counts each tenant request (not the public host's) after the response is made; see the module docstring."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        tenant = getattr(request, "tenant", None)
        if tenant is None or tenant.schema_name == "public":
            return self.get_response(request)
        started = time.perf_counter()
        response = self.get_response(request)
        elapsed_ms = (time.perf_counter() - started) * 1000
        record(
            schema_name=tenant.schema_name,
            plan=tenant.plan,
            cell=cell_of(tenant),
            status=response.status_code,
            elapsed_ms=elapsed_ms,
            api=request.path.startswith(API_PREFIX),
            now=time.time(),
        )
        return response
