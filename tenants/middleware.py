"""Routes each request to its tenant's schema by host name, before anything else touches the database.

`<slug>.<BASE_DOMAIN>` serves that tenant; the bare base domain (and www.) serves the public site; any other host
gets a 404 page and never another tenant's data. A tenant that is not active gets a page that says why, and no data.
"""

from collections.abc import Callable

from django.conf import settings
from django.db import connection
from django.http import HttpRequest, HttpResponse
from django.template.loader import render_to_string
from django.urls import set_urlconf

from tenants.models import Tenant
from tenants.routing import tenant_for_host

_STATUS_PAGES = {
    Tenant.Status.SUSPENDED: (403, "tenants/suspended.html"),
    Tenant.Status.ARCHIVED: (410, "tenants/archived.html"),
    Tenant.Status.PROVISIONING: (503, "tenants/provisioning.html"),
}


class TenantRoutingMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.public_hosts = {settings.BASE_DOMAIN, f"www.{settings.BASE_DOMAIN}"}

    def __call__(self, request: HttpRequest) -> HttpResponse:
        # A connection outlives its request (CONN_MAX_AGE): it must not carry this tenant's search path and PostgreSQL
        # role into whatever runs next in the thread, so the context in place before the request comes back after
        # it. Nothing is sent to PostgreSQL for that; the next statement carries whatever context is then current.
        previous, previous_include_public = connection.tenant, connection.include_public_schema
        try:
            return self._route(request)
        finally:
            connection.set_tenant(previous, previous_include_public)

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
            return self._page(404, "tenants/unknown_host.html", host=host)
        if tenant.status in _STATUS_PAGES:
            status, template = _STATUS_PAGES[tenant.status]
            return self._page(status, template, host=host, tenant_name=tenant.name)

        connection.set_tenant(tenant)
        request.tenant = tenant
        return self.get_response(request)

    @staticmethod
    def _page(status: int, template: str, **context: str) -> HttpResponse:
        context["base_domain"] = settings.BASE_DOMAIN
        return HttpResponse(render_to_string(template, context), status=status)
