"""Role checks for the API (DRF) and the web UI, both reading access.roles.

API: `RolePermission` is the default permission class, so every viewset is protected without saying anything: any
signed-in user of the tenant may read (GET, HEAD, OPTIONS); a write needs the capability the view declares, as
`write_capability` (all writes of the view) and/or `action_capabilities` ({action or method: capability}). A view
that declares nothing for a write refuses it. A refusal is a 403 whose `detail` names the role and what it lacks.
An API key acts as its owner: the key's read-only scope (access.authentication) comes on top of the owner's role.

UI: `@capability_required(...)` on a view, or `require_capability(request, ...)` inside one, raise PermissionDenied
(a 403 page with the same sentence); templates read `can.<capability>` and `role` (context processor `roles`).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject
from rest_framework.permissions import SAFE_METHODS, BasePermission

from access.roles import Capability, Role, has_capability, refusal, role_of


def required_capability(view, method: str) -> str | None:
    """The capability a write to `view` needs; None when the view declares none (the write is refused)."""
    by_action = getattr(view, "action_capabilities", {}) or {}
    action = getattr(view, "action", None)
    if action in by_action:
        return by_action[action]
    if method.lower() in by_action:
        return by_action[method.lower()]
    return getattr(view, "write_capability", None)


class RolePermission(BasePermission):
    """Signed in; reads for every role, writes by the capability the view declares (see the module docstring)."""

    message = "Authentication credentials were not provided."

    def has_permission(self, request, view) -> bool:
        if role_of(request.user) is None:
            return False
        if request.method in SAFE_METHODS:
            return True
        needed = required_capability(view, request.method)
        if needed is None:
            self.message = "Not allowed: this endpoint accepts no writes."
            return False
        if not has_capability(request.user, needed):
            self.message = refusal(request.user, needed)
            return False
        return True


class IsTenantAdmin(BasePermission):
    """Tenant admins only, for reads as well (users, API keys, audit log)."""

    def has_permission(self, request, view) -> bool:
        if role_of(request.user) is None:
            return False
        if has_capability(request.user, Capability.ADMIN):
            return True
        self.message = refusal(request.user, Capability.ADMIN)
        return False


def require_capability(request: HttpRequest, capability: str) -> None:
    if not has_capability(request.user, capability):
        raise PermissionDenied(refusal(request.user, capability))


def capability_required(capability: str) -> Callable:
    """View decorator: sign in first (redirect), then 403 unless the role has `capability` (for GET too)."""

    def decorate(view: Callable) -> Callable:
        @wraps(view)
        def wrapped(request: HttpRequest, *args, **kwargs):
            require_capability(request, capability)
            return view(request, *args, **kwargs)

        return login_required(wrapped)

    return decorate


class CapabilityRequiredMixin:
    """Class-based views: `capability = Capability.X`; sign in first, then 403 unless the role has it."""

    capability: str

    def dispatch(self, request: HttpRequest, *args, **kwargs):
        if not request.user.is_authenticated:
            return login_required(lambda r: None)(request)
        require_capability(request, self.capability)
        return super().dispatch(request, *args, **kwargs)


def roles(request: HttpRequest) -> dict[str, object]:
    """Template context: `role` (None when signed out) and `can.<capability>` for hiding what the role cannot do."""

    def can() -> dict[str, bool]:
        return {capability: has_capability(request.user, capability) for capability in Capability.values}

    def role() -> str:
        current = role_of(request.user)
        return Role(current).label if current else ""

    return {"can": SimpleLazyObject(can), "role": SimpleLazyObject(role)}
