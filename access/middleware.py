"""Refuse, before they cost a full Django request, API requests of a tenant whose budget is spent and requests from
an address whose failed credentials locked it.

Placed right after tenant routing: a flood of over-limit requests then costs no Redis read while this process knows
the budget spent (`access.ratelimit.known_spent`, learnt from the takes of `TenantRateThrottle`), not a session, an
authentication (API key hash, JWT, user row) and DRF. It never takes and never asks Redis: requests within the
budget go on and are counted by the throttle, once, in the request's one Redis round trip.

Failed credentials on the API (a 401, or a 403 for lack of a valid credential, to a request that carried one) count
as failed sign-ins of the client address (`access.signin`); once the address is locked, its API requests and
sign-in POSTs on this tenant are refused here with a 429 for as long as the lock lasts, read from what this process
knows (no Redis read). Everyone behind that address shares the lock, as they share the edge's per-address limit.
"""

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from rest_framework.throttling import BaseThrottle

from access import ratelimit, signin

API_PREFIX = "/api/"
SIGN_IN_PATHS = frozenset({"/accounts/login/", "/admin/login/"})
# DRF's codes for a request without a valid credential (as opposed to a signed-in user's missing permission).
CREDENTIAL_FAILURES = frozenset({"not_authenticated", "authentication_failed"})


class EarlyThrottleMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.ident = BaseThrottle()  # DRF's client address rule (X-Forwarded-For, NUM_PROXIES), as the throttle uses

    def __call__(self, request: HttpRequest) -> HttpResponse:
        tenant = getattr(request, "tenant", None)
        if tenant is None or tenant.schema_name == "public":
            return self.get_response(request)
        api = request.path.startswith(API_PREFIX)
        if api or (request.method == "POST" and request.path in SIGN_IN_PATHS):
            refusal = signin.address_locked(request)
            if refusal is not None:
                return _locked(refusal, api=api)
        if not api:
            return self.get_response(request)
        verdict = ratelimit.known_spent(ratelimit.budget_of(tenant, self._who(request)))
        if verdict.allowed:
            response = self.get_response(request)
            if response.status_code in (401, 403) and "HTTP_AUTHORIZATION" in request.META:
                data = getattr(response, "data", None)
                detail = data.get("detail") if isinstance(data, dict) else None
                if getattr(detail, "code", None) in CREDENTIAL_FAILURES:
                    signin.record_failure(request, None)
            return response
        # access.ratelimit logs a spent budget once a minute; a line per refused request would flood the log as well.
        return _too_many(verdict.detail, verdict.retry_after_header, api=True)

    def _who(self, request: HttpRequest) -> str:
        """Whose budget the throttle will take this request from, guessed without authenticating it.

        A request with credentials (an Authorization header or a session cookie) is the tenant's; a wrong credential
        is then refused early while the tenant is over its budget, a 429 instead of a 401, and spends nothing.
        """
        if "HTTP_AUTHORIZATION" in request.META or settings.SESSION_COOKIE_NAME in request.COOKIES:
            return ratelimit.TENANT
        return ratelimit.anon_who(self.ident.get_ident(request))


def _locked(refusal: signin.Refusal, *, api: bool) -> HttpResponse:
    # access.signin audits refusals once a minute per lock and process.
    return _too_many(refusal.message, refusal.retry_after_header, api=api)


def _too_many(detail: str, retry_after: str, *, api: bool) -> HttpResponse:
    """A 429 with Retry-After (JSON on the API, plain text on a page), not logged once more by Django."""
    if api:
        response: HttpResponse = JsonResponse({"detail": detail}, status=429)
    else:
        response = HttpResponse(detail, status=429, content_type="text/plain; charset=utf-8")
    response["Retry-After"] = retry_after
    response._has_been_logged = True  # type: ignore[attr-defined]
    return response
