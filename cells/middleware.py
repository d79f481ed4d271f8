"""Writes to a tenant that is moving between cells get 503 with Retry-After (a JSON body in DRF's shape on /api/, the
"request refused" page elsewhere); reads go on. Placed after tenants.middleware.TenantRoutingMiddleware (it needs
`request.tenant`)."""

from __future__ import annotations

from collections.abc import Callable

from django.db import DatabaseError
from django.http import HttpRequest, HttpResponse

from cells.move.capture import FROZEN_SQLSTATE
from cells.move.freeze import RETRY_AFTER_SECONDS, is_frozen
from core.retry import _sqlstate
from erp.http_limits import _answer

_SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})
DETAIL = "This workspace is moving to another database server; changes are paused for a few seconds. Try again."


def frozen_response(request: HttpRequest) -> HttpResponse:
    response = _answer(request, 503, DETAIL, title="Moving to another server")
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


class TenantFreezeMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        tenant = getattr(request, "tenant", None)
        schema_name = getattr(tenant, "schema_name", "public")
        # One Redis read, for writes to a tenant only: reads never pay for the freeze.
        if request.method not in _SAFE_METHODS and schema_name != "public" and is_frozen(schema_name):
            return frozen_response(request)
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        # A write that passed the check above just before the freeze is refused by the database itself.
        if isinstance(exception, DatabaseError) and _sqlstate(exception) == FROZEN_SQLSTATE:
            return frozen_response(request)
        return None
