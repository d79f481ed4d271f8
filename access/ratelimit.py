"""The per-tenant API budget, in one place: the plan's rate, the Redis key of the current window, count and peek.

A fixed window per tenant: `cache.add` opens it, `cache.incr` (atomic in Redis) counts a request, so every web
process shares one budget. Two callers, one rule:

- `access.throttling.TenantRateThrottle` (DRF, after authentication) *counts* each API request, against the tenant
  when it is authenticated, against tenant + client address when anonymous (token endpoints), so nobody outside
  can spend a tenant's budget with made-up credentials.
- `access.middleware.EarlyThrottleMiddleware` (right after tenant routing) only *peeks* at the same counter and
  refuses a request at once when the window is already spent: no session, no authentication, no database. It never
  counts, so no request is counted twice. A window's count only grows until the window ends, so once a process has
  seen it spent it remembers that until the window's end and refuses without asking Redis again; the memory is keyed
  by the full cache key and the limit, so a plan change (another limit) is looked up afresh.
"""

from __future__ import annotations

import logging
import math
import time
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from rest_framework.throttling import SimpleRateThrottle

TENANT = "tenant"
_MEMO_MAX = 10_000

logger = logging.getLogger(__name__)
# full cache key -> (limit, end of window): windows this process has seen spent.
_spent_until: dict[str, tuple[int, float]] = {}


@dataclass(frozen=True)
class Window:
    """The current window of one budget: its cache key, its size and when it ends."""

    key: str
    limit: int
    duration: int
    retry_after: float  # seconds until the next window opens
    ends_at: float  # epoch seconds

    @property
    def retry_after_header(self) -> str:
        return str(max(1, math.ceil(self.retry_after)))


def anon_who(ident: str) -> str:
    return f"anon:{ident}"


def current_window(tenant, who: str = TENANT, *, now: float | None = None) -> Window:
    """The window of `who` ("tenant", or `anon_who(address)`) in the tenant's plan budget."""
    rates = settings.TENANT_API_RATES
    limit, duration = SimpleRateThrottle.parse_rate(None, rates.get(tenant.plan, rates["free"]))
    now = time.time() if now is None else now
    index = int(now // duration)
    return Window(
        key=f"throttle:{tenant.schema_name}:{who}:{duration}:{index}",
        limit=limit,
        duration=duration,
        retry_after=(index + 1) * duration - now,
        ends_at=(index + 1) * duration,
    )


def count(window: Window) -> bool:
    """Count one request in the window; True while it is within the budget."""
    cache.add(window.key, 0, timeout=window.duration + 1)
    try:
        used = cache.incr(window.key)
    except ValueError:  # the window expired between add and incr
        cache.add(window.key, 1, timeout=window.duration + 1)
        used = 1
    return used <= window.limit


def spent(window: Window) -> bool:
    """True when the window's budget is already used up (reads the counter, never changes it)."""
    full_key = cache.make_key(window.key)  # carries the cache prefix and the tenant schema
    known = _spent_until.get(full_key)
    if known is not None and known[0] == window.limit and known[1] > time.time():
        return True
    if (cache.get(window.key) or 0) < window.limit:
        return False
    if len(_spent_until) >= _MEMO_MAX:
        now = time.time()
        for key, (_, ends_at) in list(_spent_until.items()):
            if ends_at <= now:
                _spent_until.pop(key, None)
    _spent_until[full_key] = (window.limit, window.ends_at)
    logger.warning(
        "API budget of %d requests per %d s spent; refusing until the window ends in %.0f s",
        window.limit,
        window.duration,
        window.retry_after,
    )
    return True


def throttled_detail(window: Window) -> str:
    """The same words as DRF's own 429."""
    seconds = window.retry_after_header
    return f"Request was throttled. Expected available in {seconds} second{'' if seconds == '1' else 's'}."
