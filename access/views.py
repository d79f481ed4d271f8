"""The users page: tenant admins see every user of the tenant with their role and change it."""

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from access import services
from access.permissions import capability_required
from access.roles import Capability, Role, role_of
from core.errors import DomainError


@capability_required(Capability.ADMIN)
def user_list(request: HttpRequest) -> HttpResponse:
    users = list(get_user_model().objects.filter(is_active=True).prefetch_related("groups").order_by("username"))
    rows = []
    for user in users:
        group_names = {group.name for group in user.groups.all()}
        role = Role.ADMIN if user.is_superuser else next((r for r in Role if r in group_names), Role.READ_ONLY)
        rows.append((user, role))
    return render(request, "access/user_list.html", {"rows": rows, "roles": Role.choices})


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
