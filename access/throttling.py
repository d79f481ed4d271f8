"""Per-tenant API rate limits by plan tier, shared by every user and key of the tenant, counted in Redis.

A fixed window per tenant: `cache.add` opens it, `cache.incr` (atomic in Redis) counts the request, so all web
processes share one budget. Anonymous requests (token endpoints) are counted per tenant and client address instead,
so nobody outside can spend a tenant's budget.
"""

import time

from django.conf import settings
from django.core.cache import cache
from rest_framework.request import Request
from rest_framework.throttling import BaseThrottle, SimpleRateThrottle

from access.authentication import request_tenant


class TenantRateThrottle(BaseThrottle):
    def allow_request(self, request: Request, view) -> bool:
        tenant = request_tenant(request)
        if tenant is None:
            return True
        rates = settings.TENANT_API_RATES
        num_requests, duration = SimpleRateThrottle.parse_rate(None, rates.get(tenant.plan, rates["free"]))
        now = time.time()
        window = int(now // duration)
        self.retry_after = (window + 1) * duration - now
        who = "tenant" if request.user and request.user.is_authenticated else f"anon:{self.get_ident(request)}"
        key = f"throttle:{tenant.schema_name}:{who}:{duration}:{window}"
        cache.add(key, 0, timeout=duration + 1)
        try:
            count = cache.incr(key)
        except ValueError:  # the window expired between add and incr
            cache.add(key, 1, timeout=duration + 1)
            count = 1
        return count <= num_requests

    def wait(self) -> float:
        return max(self.retry_after, 1.0)
