"""Roles of a tenant's users and what each may do: the one table every permission check reads.

| role       | may                                                                                           |
|------------|-----------------------------------------------------------------------------------------------|
| admin      | everything, plus users and roles, API keys, the audit log and Django admin                    |
| planner    | master data (items, units, locations, BOMs, partners), work orders and MRP, sales and purchase |
|            | orders (create, change, confirm, reserve, send, cancel), plus every read                      |
| operator   | stock moves (receive, issue, transfer, count, reverse, scans), work-order start and complete,  |
|            | shipping and receiving against orders, plus every read                                        |
| read-only  | every read, no write                                                                          |

Where a role is stored: a tenant admin is a superuser of the tenant (Django's own flag, which also opens Django
admin); every other user belongs to at most one of the groups `planner`, `operator`, `read-only` (created in each
tenant schema by access/migrations/0002). A user in no group reads only. `user_set_role` keeps both in step.
"""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db import models


class Role(models.TextChoices):
    ADMIN = "admin", "Admin"
    PLANNER = "planner", "Planner"
    OPERATOR = "operator", "Operator"
    READ_ONLY = "read-only", "Read-only"


class Capability(models.TextChoices):
    """A kind of write (reads need no capability: every signed-in user of the tenant reads)."""

    MASTER_DATA = "master_data", "change master data (items, units, locations, BOMs, partners)"
    PLANNING = "planning", "plan work and orders (work orders, MRP, sales and purchase orders)"
    STOCK = "stock", "move stock (receive, issue, transfer, count, reverse, scan)"
    FLOOR = "floor", "run the floor (start and complete work orders, ship and receive against orders)"
    ADMIN = "admin", "administer the tenant (users, roles, API keys, audit log)"


CAPABILITIES: dict[str, frozenset[str]] = {
    Role.ADMIN: frozenset(Capability.values),
    Role.PLANNER: frozenset({Capability.MASTER_DATA, Capability.PLANNING}),
    Role.OPERATOR: frozenset({Capability.STOCK, Capability.FLOOR}),
    Role.READ_ONLY: frozenset(),
}

# Groups standing for the non-admin roles (admins are superusers).
GROUP_ROLES = (Role.PLANNER, Role.OPERATOR, Role.READ_ONLY)
_CACHE = "_erp_role"


def role_of(user: AbstractBaseUser | AnonymousUser | None) -> Role | None:
    """The user's role in the current tenant; None when not signed in. Cached on the user object (one query)."""
    if user is None or not user.is_authenticated or not user.is_active:
        return None
    cached = getattr(user, _CACHE, None)
    if cached is not None:
        return cached
    if user.is_superuser:
        role = Role.ADMIN
    else:
        names = set(user.groups.filter(name__in=GROUP_ROLES).values_list("name", flat=True))
        role = next((r for r in GROUP_ROLES if r in names), Role.READ_ONLY)
    setattr(user, _CACHE, role)
    return role


def has_capability(user, capability: str) -> bool:
    role = role_of(user)
    return role is not None and capability in CAPABILITIES[role]


def refusal(user, capability: str) -> str:
    """The sentence a refused user reads."""
    role = role_of(user)
    who = f"your role ({Role(role).label})" if role else "you"
    return f"Not allowed: {who} may not {Capability(capability).label}. Ask a tenant admin."


def forget_role(user) -> None:
    """Drop the role cached on `user` (after changing it)."""
    user.__dict__.pop(_CACHE, None)
