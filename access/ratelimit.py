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
- `access.middleware.EarlyThrottleMiddleware` (right after tenant routing) only *peeks* at the same budget and
  refuses a request at once when it is spent: no session, no authentication, no database. It never takes, so no
  request is counted twice. Only taking can push the refill time further away, so once a process has seen a budget
  spent it remembers that until the refill time and refuses without asking Redis again.

The key carries the cache prefix, the tenant schema, whose budget it is and the quota: a plan change starts a new
bucket instead of reading the old one's state under another rate.
"""

from __future__ import annotations

import logging
import math
import time
from dataclasses import dataclass
from functools import cache

from django.conf import settings
from throttled import RateLimiterType, Throttled
from throttled.store import RedisStore

TENANT = "tenant"
_MEMO_MAX = 10_000
LOG_EVERY = 60.0  # seconds: one line per spent budget and process, not one per refusal (a flood would flood the log)

logger = logging.getLogger(__name__)
# budget key -> when its refill time comes: budgets this process has seen spent.
_spent_until: dict[str, float] = {}
# budget key -> when this process last logged it spent.
_logged_at: dict[str, float] = {}


@dataclass(frozen=True)
class Budget:
    """One budget: its key in Redis and its quota (throttled-py's DSL, "<n>/<unit> [burst <n>]")."""

    key: str
    quota: str


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
    return Budget(key=f"{prefix}:{tenant.schema_name}:{who}:{quota.replace(' ', '')}", quota=quota)


def take(budget: Budget) -> Verdict:
    """Take one request from the budget; refused (and nothing taken) when it is spent."""
    result = _limiter(budget.quota, _redis_url()).limit(budget.key)
    return Verdict(allowed=not result.limited, retry_after=result.state.retry_after)


def peek(budget: Budget) -> Verdict:
    """Whether a request would be allowed now; never takes anything."""
    now = time.monotonic()
    until = _spent_until.get(budget.key)
    if until is not None and until > now:
        return Verdict(allowed=False, retry_after=until - now)
    state = _limiter(budget.quota, _redis_url()).peek(budget.key)
    if state.remaining >= 1:
        return Verdict(allowed=True)
    if len(_spent_until) >= _MEMO_MAX:
        _spent_until.clear()
        _logged_at.clear()
    _spent_until[budget.key] = now + state.retry_after
    if now - _logged_at.get(budget.key, -LOG_EVERY) >= LOG_EVERY:
        _logged_at[budget.key] = now
        logger.warning("API budget of %s spent; refusing early (logged once a minute)", budget.quota)
    return Verdict(allowed=False, retry_after=state.retry_after)


def _redis_url() -> str:
    return settings.CACHES["default"]["LOCATION"]


@cache
def _store(url: str) -> RedisStore:
    """One client and connection pool per process (Django's cache builds a new client for every operation)."""
    return RedisStore(server=url)


@cache
def _limiter(quota: str, url: str) -> Throttled:
    return Throttled(using=RateLimiterType.GCRA.value, quota=quota, store=_store(url), key_prefix="erp-api-budget")
