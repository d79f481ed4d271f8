from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from support import services as support


def support_enter(request: HttpRequest) -> HttpResponse:
    """Tenant host: exchange a one-time support link for a read-only support session (a fresh session, no user)."""
    try:
        grant = support.support_session_enter(token=request.GET.get("token", ""), tenant=request.tenant)
    except support.SupportRefused as exc:
        return render(request, "support/support_refused.html", {"message": exc.message}, status=403)
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
    return render(request, "support/support_refused.html", {"message": "The support session has ended."})
