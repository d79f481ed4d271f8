"""A support session's requests: the read-only support user, every write refused and recorded (support.services)."""

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template.loader import render_to_string

from support import services as support

ENDED_MESSAGE = "This support session has ended. Start a new one from the operations admin."


class SupportSessionMiddleware:
    """During a support session (support.services) the request's user is the read-only support user, and every write
    is refused with a 403 and recorded. The grant is re-checked on every request: ended or expired, the session is
    flushed and the page says so. Placed after AuthenticationMiddleware."""

    UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
    END_PATH = "/support/end/"
    ENTER_PATH = "/support/enter/"

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        tenant = getattr(request, "tenant", None)
        if tenant is None or tenant.schema_name == "public" or not hasattr(request, "session"):
            return self.get_response(request)
        grant_id = request.session.get(support.SESSION_KEY)
        if grant_id is None:
            return self.get_response(request)
        grant = support.live_grant(grant_id=grant_id, tenant=tenant)
        if grant is None:
            request.session.flush()
            if request.path == self.ENTER_PATH:  # a new link opened in a browser whose last session has ended
                return self.get_response(request)
            return self._refusal(request, 403, ENDED_MESSAGE)
        request.user = support.SupportUser(grant)
        request.support_grant = grant
        if request.method in self.UNSAFE_METHODS and request.path != self.END_PATH:
            support.support_write_refused(grant=grant, method=request.method, path=request.path)
            return self._refusal(
                request,
                403,
                f"Read-only support session by {grant.staff}: {request.method} is refused, nothing was changed.",
            )
        return self.get_response(request)

    @staticmethod
    def _refusal(request: HttpRequest, status: int, message: str) -> HttpResponse:
        if request.path.startswith("/api/"):
            return JsonResponse({"detail": message}, status=status)
        page = render_to_string("support/support_refused.html", {"message": message}, request=request)
        return HttpResponse(page, status=status)
