"""Baseline only: attach the one fixed tenant to every request, so pages render exactly as with tenancy (banner,
navigation) without any per-request routing work. Loaded once per process."""

import os

_tenant = None


class FixedTenantMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        global _tenant
        if _tenant is None:
            from tenants.models import Tenant

            _tenant = Tenant.objects.get(schema_name=os.environ["BENCH_FIXED_SCHEMA"])
        request.tenant = _tenant
        return self.get_response(request)
