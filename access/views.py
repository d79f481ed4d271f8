"""The users and API keys pages: tenant admins invite, deactivate and reactivate users, reset their passwords, set
their roles, and create and revoke API keys. A set-password link or a key's secret is shown once, in the answer to
the POST that made it (never in a message, the session, a log or the audit log), with `Cache-Control: no-store`."""

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.cache import add_never_cache_headers
from django.views.decorators.http import require_POST

from access import services
from access.models import ApiKey
from access.permissions import capability_required
from access.roles import GROUP_ROLES, Capability, Role, role_of
from access.web_forms import ApiKeyForm, InviteForm
from core.errors import DomainError


def _user_rows() -> list[tuple[object, Role]]:
    users = get_user_model().objects.prefetch_related("groups").order_by("-is_active", "username")
    rows = []
    for user in users:
        group_names = {group.name for group in user.groups.all()}
        role = Role.ADMIN if user.is_superuser else next((r for r in GROUP_ROLES if r in group_names), Role.READ_ONLY)
        rows.append((user, role))
    return rows


def _render_users(request: HttpRequest, form: InviteForm, link: str | None = None, status: int = 200) -> HttpResponse:
    context = {"rows": _user_rows(), "roles": Role.choices, "form": form, "link": link}
    response = render(request, "access/user_list.html", context, status=status)
    if link:
        add_never_cache_headers(response)
    return response


def _link_url(request: HttpRequest, link: services.SetPasswordLink) -> str:
    """The link on the host (and port) the admin is using: the tenant's own."""
    path = reverse("password_reset_confirm", kwargs={"uidb64": link.uidb64, "token": link.token})
    return request.build_absolute_uri(path)


@capability_required(Capability.ADMIN)
def user_list(request: HttpRequest) -> HttpResponse:
    return _render_users(request, InviteForm())


@capability_required(Capability.ADMIN)
@require_POST
def user_invite(request: HttpRequest) -> HttpResponse:
    form = InviteForm(request.POST)
    link = form.submit(request.user) if form.is_valid() else None
    if link is None:
        return _render_users(request, form, status=400)
    messages.success(request, f"{link.user.get_username()} is invited as {Role(role_of(link.user)).label}.")
    return _render_users(request, InviteForm(), link=_link_url(request, link))


def _tenant_user(pk: int):
    return get_object_or_404(get_user_model(), pk=pk)


@capability_required(Capability.ADMIN)
@require_POST
def user_role(request: HttpRequest, pk: int) -> HttpResponse:
    user = get_object_or_404(get_user_model(), pk=pk, is_active=True)
    try:
        services.user_set_role(user=user, role=request.POST.get("role", ""), by=request.user)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"{user.get_username()} is now {Role(role_of(user)).label}.")
    return redirect("access:user-list")


@capability_required(Capability.ADMIN)
@require_POST
def user_active(request: HttpRequest, pk: int) -> HttpResponse:
    user = _tenant_user(pk)
    active = request.POST.get("active") == "1"
    try:
        services.user_set_active(user=user, active=active, by=request.user)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        done = "reactivated: they can sign in again" if active else "deactivated: they can no longer sign in"
        messages.success(request, f"{user.get_username()} is {done}.")
    return redirect("access:user-list")


@capability_required(Capability.ADMIN)
@require_POST
def user_password_reset(request: HttpRequest, pk: int) -> HttpResponse:
    user = _tenant_user(pk)
    try:
        link = services.user_password_reset(user=user, by=request.user)
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect("access:user-list")
    messages.success(request, f"{user.get_username()}'s password is reset; they choose a new one with the link.")
    return _render_users(request, InviteForm(), link=_link_url(request, link))


# --- API keys ---------------------------------------------------------------------------------------------------------


def _render_keys(request: HttpRequest, form: ApiKeyForm, new_key: str | None = None, status: int = 200) -> HttpResponse:
    keys = ApiKey.objects.select_related("user", "created_by", "revoked_by")
    context = {"keys": keys, "form": form, "new_key": new_key}
    response = render(request, "access/api_key_list.html", context, status=status)
    if new_key:
        add_never_cache_headers(response)
    return response


@capability_required(Capability.ADMIN)
def api_key_list(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        form = ApiKeyForm(request.POST)
        created = form.submit(request.user) if form.is_valid() else None
        if created is None:
            return _render_keys(request, form, status=400)
        messages.success(request, f"API key {created.api_key.name} is created; copy it now, it is not shown again.")
        return _render_keys(request, ApiKeyForm(), new_key=created.key)
    return _render_keys(request, ApiKeyForm())


@capability_required(Capability.ADMIN)
@require_POST
def api_key_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    api_key = get_object_or_404(ApiKey, pk=pk)
    services.api_key_revoke(api_key=api_key, user=request.user)
    messages.success(request, f"API key {api_key.name} is revoked.")
    return redirect("access:api-key-list")
