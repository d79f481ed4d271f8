from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from tenants import support
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


def support_enter(request: HttpRequest) -> HttpResponse:
    """Tenant host: exchange a one-time support link for a read-only support session (a fresh session, no user)."""
    try:
        grant = support.support_session_enter(token=request.GET.get("token", ""), tenant=request.tenant)
    except support.SupportRefused as exc:
        return render(request, "tenants/support_refused.html", {"message": exc.message}, status=403)
    request.session.flush()  # whoever was signed in in this browser is signed out
    request.session[support.SESSION_KEY] = grant.pk
    request.session.set_expiry(grant.expires_at)
    return redirect("home")


@require_POST
def support_end(request: HttpRequest) -> HttpResponse:
    """Tenant host: the banner's end button. Ends the grant and the browser session."""
    grant = getattr(request, "support_grant", None)
    if grant is not None:
        support.support_session_end(grant=grant, by=grant.staff)
    request.session.flush()
    request.support_grant = None
    return render(request, "tenants/support_refused.html", {"message": "The support session has ended."})
