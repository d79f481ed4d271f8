"""Refuse API requests of a tenant whose budget is spent before they cost a full Django request.

Placed right after tenant routing: a flood of over-limit requests then costs one Redis read each (none while this
process remembers the budget spent), not a session, an authentication (API key hash, JWT, user row) and DRF. It only
peeks at the budget `TenantRateThrottle` takes from (`access.ratelimit`); requests within the budget go on and are
counted there, once.
"""

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from rest_framework.throttling import BaseThrottle

from access import ratelimit

API_PREFIX = "/api/"


class EarlyThrottleMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.ident = BaseThrottle()  # DRF's client address rule (X-Forwarded-For, NUM_PROXIES), as the throttle uses

    def __call__(self, request: HttpRequest) -> HttpResponse:
        tenant = getattr(request, "tenant", None)
        if tenant is None or tenant.schema_name == "public" or not request.path.startswith(API_PREFIX):
            return self.get_response(request)
        verdict = ratelimit.peek(ratelimit.budget_of(tenant, self._who(request)))
        if verdict.allowed:
            return self.get_response(request)
        response = JsonResponse({"detail": verdict.detail}, status=429)
        response["Retry-After"] = verdict.retry_after_header
        # access.ratelimit logs a spent budget once a minute; a line per refused request would flood the log as well.
        response._has_been_logged = True
        return response

    def _who(self, request: HttpRequest) -> str:
        """Whose budget the throttle will take this request from, guessed without authenticating it.

        A request with credentials (an Authorization header or a session cookie) is the tenant's; a wrong credential
        is then refused early while the tenant is over its budget, a 429 instead of a 401, and spends nothing.
        """
        if "HTTP_AUTHORIZATION" in request.META or settings.SESSION_COOKIE_NAME in request.COOKIES:
            return ratelimit.TENANT
        return ratelimit.anon_who(self.ident.get_ident(request))
