from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render

from tenants.dashboard import plant_dashboard
from tenants.models import Tenant


def public_home(request: HttpRequest) -> HttpResponse:
    active = Tenant.objects.filter(status=Tenant.Status.ACTIVE).count()
    return render(request, "tenants/public_home.html", {"active_tenants": active})


def tenant_home(request: HttpRequest) -> HttpResponse:
    """Anonymous visitors get the sign-in link; signed-in staff the plant dashboard."""
    if not request.user.is_authenticated:
        return render(request, "tenants/tenant_home.html", {})
    return render(request, "tenants/tenant_home.html", {"board": plant_dashboard()})


def health(request: HttpRequest) -> JsonResponse:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok", "schema": connection.schema_name})
