"""Where a new tenant goes.

- A plan in `CELL_DEDICATED_PLANS` gets a cell of its own: the first configured cell (in `CELLS` order) that holds no
  tenant. The plans have no `enterprise` tier, so no plan is dedicated by default; `CELL_DEDICATED_PLANS=premium`
  gives each premium tenant its own server. With no empty cell left, provisioning refuses and says to add one.
  With `CELL_DEDICATED_SERVER` set, a new database is created there for it instead (cells.services).
- Every other tenant goes to the cell with the fewest tenants, ties broken by configured order (`default`, the
  control plane's own database, first). A cell holding a dedicated tenant, or made for one, takes no one else.

Archived tenants count: their registry row names the cell their backup is restored to.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import connections
from django.db.models import Count

from cells.config import DEFAULT_CELL
from cells.routing import cell_names, cell_spec, dedicated_cells
from core.errors import DomainError


class NoCellAvailable(DomainError):
    pass


def cell_tenant_counts() -> dict[str, int]:
    """Tenants per cell, every configured cell listed (0 when empty)."""
    from tenants.models import Tenant

    counts = dict.fromkeys(cell_names(), 0)
    for row in Tenant.objects.order_by().values("cell").annotate(n=Count("pk")):
        if row["cell"] in counts:
            counts[row["cell"]] = row["n"]
    return counts


def cells_held_by_dedicated_tenants() -> set[str]:
    from tenants.models import Tenant

    plans = list(settings.CELL_DEDICATED_PLANS)
    if not plans:
        return set()
    # The control plane's own database is never dedicated: tenants of such a plan placed before it was set stay
    # there without closing it to others.
    cells = Tenant.objects.filter(plan__in=plans).exclude(cell=DEFAULT_CELL).values_list("cell", flat=True)
    return set(cells.distinct())


def choose_cell(*, plan: str, requested: str | None = None) -> str:
    """The cell a new tenant of `plan` is provisioned on; `requested` (validated) wins over the policy. A dedicated
    plan with no empty cell left gets one created on the dedicated server when one is configured."""
    if requested:
        cell_spec(requested)  # UnknownCell for a name that is not configured
        return requested
    if not settings.CELLS and not settings.CELL_DEDICATED_SERVER:
        return DEFAULT_CELL
    counts = cell_tenant_counts()
    on_demand = set(dedicated_cells())
    if plan in settings.CELL_DEDICATED_PLANS:
        for name in counts:  # never `default`: the control plane is shared
            if name != DEFAULT_CELL and counts[name] == 0:
                return name
        if settings.CELL_DEDICATED_SERVER:
            from cells.services import dedicated_cell_create

            return dedicated_cell_create().name
        raise NoCellAvailable(
            f"plan {plan!r} gets a cell of its own and every configured cell holds tenants: add one to CELLS",
            field="plan",
        )
    # Cells made on demand are for dedicated tenants only.
    taken = cells_held_by_dedicated_tenants() | on_demand
    candidates = [name for name in counts if name not in taken]
    if not candidates:
        raise NoCellAvailable("every cell is dedicated to one tenant: add one to CELLS")
    return min(candidates, key=lambda name: (counts[name], candidates.index(name)))


# Serialises the placement check of concurrent provisionings on the control plane (transaction-scoped).
_PLACEMENT_LOCK_KEY = 7_341_018


def confirm_placement(tenant: Any, *, using: str) -> None:
    """Inside the registry transaction that inserted `tenant`: refuse if a concurrent provisioning broke the policy
    (two tenants of a dedicated plan into one empty cell, or anyone into a dedicated cell). Waits for the others'
    registry transactions (an advisory lock), so the second one sees the first's row. Only with cells configured."""
    from tenants.models import Tenant

    with_cells = settings.CELLS or settings.CELL_DEDICATED_SERVER
    if not with_cells or not settings.CELL_DEDICATED_PLANS or tenant.cell == DEFAULT_CELL:
        return
    with connections[using].cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_PLACEMENT_LOCK_KEY])
    others = Tenant.objects.filter(cell=tenant.cell).exclude(pk=tenant.pk)
    if tenant.plan in settings.CELL_DEDICATED_PLANS:
        if others.exists():
            raise NoCellAvailable(
                f"cell {tenant.cell!r} was taken meanwhile; a {tenant.plan} tenant needs a cell of its own: try again",
                field="plan",
            )
    elif others.filter(plan__in=settings.CELL_DEDICATED_PLANS).exists():
        raise NoCellAvailable(f"cell {tenant.cell!r} became dedicated to another tenant meanwhile: try again")
