"""Per-tenant API rate limits by plan tier, shared by every user and key of the tenant, kept in Redis.

The budget, its key and the taking live in `access.ratelimit`, shared with the early refusal in
`access.middleware.EarlyThrottleMiddleware`. Anonymous requests (token endpoints) take from a budget per tenant and
client address instead, so nobody outside can spend a tenant's budget.
"""

from rest_framework.request import Request
from rest_framework.throttling import BaseThrottle

from access import ratelimit
from access.authentication import request_tenant


class TenantRateThrottle(BaseThrottle):
    def allow_request(self, request: Request, view) -> bool:
        tenant = request_tenant(request)
        if tenant is None:
            return True
        authenticated = request.user and request.user.is_authenticated
        who = ratelimit.TENANT if authenticated else ratelimit.anon_who(self.get_ident(request))
        verdict = ratelimit.take(ratelimit.budget_of(tenant, who))
        self.retry_after = verdict.retry_after
        return verdict.allowed

    def wait(self) -> float:
        return max(self.retry_after, 1.0)
