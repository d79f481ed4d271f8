"""The per-tenant API budget, in one place: the plan's quota, the Redis key of a budget, take one request and peek.

A budget is a GCRA bucket (generic cell rate algorithm, the leaky bucket kept as one "theoretical arrival time" per
key) from throttled-py, in Redis, so every web process shares it. A plan's quota is a sustained rate and a burst,
e.g. "1000/min burst 20": a tenant may send 20 requests back to back, after which one request comes back every 60 ms.
The burst is what protects the neighbours: a fixed window of 1000 a minute lets the whole minute's budget arrive in
its first second, and that second the other tenants wait behind it.

Two callers, one rule:

- `access.throttling.TenantRateThrottle` (DRF, after authentication) *takes* one request from the budget, the
  tenant's when it is authenticated, the tenant + client address's when anonymous (token endpoints), so nobody
  outside can spend a tenant's budget with made-up credentials.
- `access.middleware.EarlyThrottleMiddleware` (right after tenant routing) refuses a request at once while this
  process knows the budget spent: no session, no authentication, no database, no Redis. It learns that from the
  takes (a refused take, or one that left nothing, until the next request's worth comes back), so a request makes
  one Redis round trip, the take, and an over-limit flood none while it lasts. Another process that has not seen
  the budget spent yet serves one request up to the take, which refuses it and teaches that process.

The key carries the cache prefix, the tenant schema, whose budget it is and the quota: a plan change starts a new
bucket instead of reading the old one's state under another rate.

With Redis out of reach the budget **fails open**: the request goes on unthrottled, and the log says so with the
tenant, once a minute per tenant and process ("API budget store unreachable; failing open ..."). Failing closed would
turn a Redis outage into a full API outage for every tenant; the edge (tenants.edge, nginx `limit_req`) still limits
each credential without Redis. After a failure the process does not ask Redis again for `STORE_RETRY_SECONDS`, and
a connection attempt gives up after `STORE_TIMEOUT` seconds, so an outage costs a request nothing noticeable.
"""

from __future__ import annotations

import logging
import math
import time
from dataclasses import dataclass
from functools import cache

import redis
from django.conf import settings
from throttled import RateLimiterType, Throttled
from throttled.exceptions import BaseThrottledError
from throttled.store import RedisStore

TENANT = "tenant"
STORE_TIMEOUT = 0.5  # seconds to connect to Redis, and to wait for one answer
STORE_RETRY_SECONDS = 5.0  # after Redis failed, this process fails open without asking it for this long
_MEMO_MAX = 10_000
LOG_EVERY = 60.0  # seconds: one line per spent budget and process, not one per refusal (a flood would flood the log)

logger = logging.getLogger(__name__)
# budget key -> when its refill time comes: budgets this process has seen spent.
_spent_until: dict[str, float] = {}
# budget key -> when this process last logged it spent.
_logged_at: dict[str, float] = {}
# tenant schema -> when this process last logged that it failed open for it.
_failed_open_logged_at: dict[str, float] = {}
# time.monotonic() until which Redis is not asked again (it just failed).
_store_down_until = 0.0
_STORE_ERRORS = (BaseThrottledError, redis.RedisError, OSError)


@dataclass(frozen=True)
class Budget:
    """One budget: its key in Redis and its quota (throttled-py's DSL, "<n>/<unit> [burst <n>]")."""

    key: str
    quota: str
    schema_name: str = ""


@dataclass(frozen=True)
class Verdict:
    """Whether a request may go on, and if not, in how many seconds one may."""

    allowed: bool
    retry_after: float = 0.0

    @property
    def retry_after_header(self) -> str:
        return str(max(1, math.ceil(self.retry_after)))

    @property
    def detail(self) -> str:
        """The same words as DRF's own 429."""
        seconds = self.retry_after_header
        return f"Request was throttled. Expected available in {seconds} second{'' if seconds == '1' else 's'}."


def anon_who(ident: str) -> str:
    return f"anon:{ident}"


def budget_of(tenant, who: str = TENANT) -> Budget:
    """The budget of `who` ("tenant", or `anon_who(address)`) under the tenant's plan."""
    rates = settings.TENANT_API_RATES
    quota = rates.get(tenant.plan, rates["free"])
    prefix = settings.CACHES["default"].get("KEY_PREFIX", "")
    key = f"{prefix}:{tenant.schema_name}:{who}:{quota.replace(' ', '')}"
    return Budget(key=key, quota=quota, schema_name=tenant.schema_name)


def take(budget: Budget) -> Verdict:
    """Take one request from the budget; refused (and nothing taken) when it is spent. Allowed if Redis is down.

    A refusal, or a take that left nothing, is remembered by this process until the next request's worth comes back
    (`known_spent` then refuses without Redis)."""
    if time.monotonic() < _store_down_until:
        return _failed_open(budget, None)
    try:
        limiter = _limiter(budget.quota, _redis_url())
        result = limiter.limit(budget.key)
    except _STORE_ERRORS as exc:
        return _failed_open(budget, exc)
    state = result.state
    if result.limited:
        _remember_spent(budget, state.retry_after)
    elif state.remaining < 1:
        # GCRA: with nothing left, one request comes back (burst - 1) emission intervals before the bucket is full.
        quota = limiter.limiter.quota
        _remember_spent(budget, state.reset_after - (quota.burst - 1) * quota.emission_interval)
    return Verdict(allowed=not result.limited, retry_after=state.retry_after)


def known_spent(budget: Budget) -> Verdict:
    """Whether this process knows the budget spent (its own takes said so): refused without asking Redis;
    otherwise allowed, and the throttle's take decides. Never takes anything, never asks Redis."""
    now = time.monotonic()
    until = _spent_until.get(budget.key)
    if until is not None and until > now:
        return Verdict(allowed=False, retry_after=until - now)
    return Verdict(allowed=True)


def _remember_spent(budget: Budget, seconds: float) -> None:
    if seconds <= 0:
        return
    now = time.monotonic()
    if len(_spent_until) >= _MEMO_MAX:
        _spent_until.clear()
        _logged_at.clear()
    _spent_until[budget.key] = now + seconds
    if now - _logged_at.get(budget.key, -LOG_EVERY) >= LOG_EVERY:
        _logged_at[budget.key] = now
        logger.warning("API budget of %s spent; refusing early (logged once a minute)", budget.quota)


def _failed_open(budget: Budget, exc: Exception | None) -> Verdict:
    """Redis is out of reach: let the request through, and say so once a minute per tenant and process."""
    global _store_down_until
    now = time.monotonic()
    if exc is not None:
        _store_down_until = now + STORE_RETRY_SECONDS
    if now - _failed_open_logged_at.get(budget.schema_name, -LOG_EVERY) >= LOG_EVERY:
        if len(_failed_open_logged_at) >= _MEMO_MAX:
            _failed_open_logged_at.clear()
        _failed_open_logged_at[budget.schema_name] = now
        reason = f"{type(exc).__name__}: {exc}" if exc is not None else "it failed moments ago"
        logger.warning(
            "API budget store unreachable; failing open for tenant %s (not throttled in the application; the edge "
            "still limits per credential; logged once a minute): %s",
            budget.schema_name,
            reason,
        )
    return Verdict(allowed=True)


def _redis_url() -> str:
    return settings.CACHES["default"]["LOCATION"]


@cache
def _store(url: str) -> RedisStore:
    """One client and connection pool per process (Django's cache builds a new client for every operation)."""
    return RedisStore(server=url, options={"SOCKET_CONNECT_TIMEOUT": STORE_TIMEOUT, "SOCKET_TIMEOUT": STORE_TIMEOUT})


@cache
def _limiter(quota: str, url: str) -> Throttled:
    return Throttled(using=RateLimiterType.GCRA.value, quota=quota, store=_store(url), key_prefix="erp-api-budget")
