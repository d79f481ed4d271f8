from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from dashboard.selectors import plant_dashboard


def tenant_home(request: HttpRequest) -> HttpResponse:
    """Anonymous visitors get the sign-in link; signed-in staff the plant dashboard."""
    if not request.user.is_authenticated:
        return render(request, "dashboard/tenant_home.html", {})
    return render(request, "dashboard/tenant_home.html", {"board": plant_dashboard()})
