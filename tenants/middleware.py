"""Routes each request to its tenant's schema by host name, before anything else touches the database.

`<slug>.<BASE_DOMAIN>` serves that tenant; the bare base domain (and www.) serves the public site; any other host
gets a 404 page and never another tenant's data. A tenant that is not active gets a page that says why, and no data.
"""

import logging
import threading
from collections.abc import Callable

from django.conf import settings
from django.core.signals import request_finished
from django.db import connection
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template.loader import render_to_string
from django.urls import set_urlconf

from cells import routing as cells_routing
from tenants.models import Tenant
from tenants.routing import tenant_for_host

logger = logging.getLogger(__name__)

_STATUS_PAGES = {
    Tenant.Status.SUSPENDED: (403, "tenants/suspended.html"),
    Tenant.Status.ARCHIVED: (410, "tenants/archived.html"),
    Tenant.Status.PROVISIONING: (503, "tenants/provisioning.html"),
}
# What an API client reads instead of the page: DRF's error shape, {"detail": ...}.
_API_DETAILS = {
    "tenants/suspended.html": "The workspace at {host} is suspended. Its data is kept; contact your administrator.",
    "tenants/archived.html": "The workspace at {host} has been archived and is no longer in service.",
    "tenants/provisioning.html": "The workspace at {host} is not ready yet. Try again in a minute.",
    "tenants/unknown_host.html": "No workspace at {host}.",
}
API_PREFIX = "/api/"


class _ContextsBefore(threading.local):
    def __init__(self) -> None:
        self.stack: list[tuple[str, object, bool]] = []


_contexts_before = _ContextsBefore()


@receiver(request_finished, dispatch_uid="tenants.restore_context_before_request")
def _restore_context_before_request(**kwargs) -> None:
    if _contexts_before.stack:
        cell, tenant, include_public = _contexts_before.stack.pop()
        cells_routing.switch(cell)  # the thread's control-plane connection is `default` again
        connection.set_tenant(tenant, include_public)


class TenantRoutingMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.public_hosts = {settings.BASE_DOMAIN, f"www.{settings.BASE_DOMAIN}"}

    def __call__(self, request: HttpRequest) -> HttpResponse:
        # A connection outlives its request (CONN_MAX_AGE): it must not carry this tenant's search path and PostgreSQL
        # role into whatever runs next in the thread, so the context in place before the request comes back when the
        # response is closed: after Django has logged it (4xx/5xx log lines carry the tenant) and after a streaming
        # body is sent. Nothing is sent to PostgreSQL for that; the next statement carries the then current context.
        # The same holds for the cell: a request for a tenant of another cell points `default` there (cells.routing).
        _contexts_before.stack.append(
            (cells_routing.current_cell(), connection.tenant, connection.include_public_schema)
        )
        return self._route(request)

    def _route(self, request: HttpRequest) -> HttpResponse:
        host = request.get_host().rsplit(":", 1)[0].lower()
        if host in self.public_hosts:
            connection.set_schema_to_public()
            request.tenant = connection.tenant
            request.urlconf = settings.PUBLIC_SCHEMA_URLCONF
            set_urlconf(request.urlconf)
            return self.get_response(request)

        tenant = tenant_for_host(host)
        if tenant is None:
            return self._page(request, 404, "tenants/unknown_host.html", host=host)
        if tenant.status in _STATUS_PAGES:
            status, template = _STATUS_PAGES[tenant.status]
            return self._page(request, status, template, host=host, tenant_name=tenant.name)

        try:
            cells_routing.activate(tenant)
        except cells_routing.UnknownCell:
            logger.error("tenant %s is on cell %r, which is not configured (CELLS)", tenant.slug, tenant.cell)
            return self._page(request, 503, "tenants/provisioning.html", host=host, tenant_name=tenant.name)
        request.tenant = tenant
        return self.get_response(request)

    @staticmethod
    def _page(request: HttpRequest, status: int, template: str, **context: str) -> HttpResponse:
        if request.path.startswith(API_PREFIX):
            return JsonResponse({"detail": _API_DETAILS[template].format(host=context["host"])}, status=status)
        context["base_domain"] = settings.BASE_DOMAIN
        context["home_host"], context["home_url"] = home_of(request)
        return HttpResponse(render_to_string(template, context), status=status)


def home_of(request: HttpRequest) -> tuple[str, str]:
    """The public site's host and URL on the scheme and port the request came in on (a dev server on :8000, a
    tunnel on :8443), so a link from a status page lands where the visitor can reach."""
    _, colon, port = request.get_host().rpartition(":")
    host = f"{settings.BASE_DOMAIN}:{port}" if colon and port.isdigit() else settings.BASE_DOMAIN
    return host, f"{request.scheme}://{host}/"
