"""Where a new tenant goes.

- A plan in `CELL_DEDICATED_PLANS` gets a cell of its own: the first configured cell (in `CELLS` order) that holds no
  tenant. The plans have no `enterprise` tier, so no plan is dedicated by default; `CELL_DEDICATED_PLANS=premium`
  gives each premium tenant its own server. With no empty cell left, provisioning refuses and says to add one.
- Every other tenant goes to the cell with the fewest tenants, ties broken by configured order (`default`, the
  control plane's own database, first). A cell holding a dedicated tenant takes no one else.

Archived tenants count: their registry row names the cell their backup is restored to.
"""

from __future__ import annotations

from django.conf import settings
from django.db.models import Count

from cells.config import DEFAULT_CELL
from cells.routing import cell_names, cell_spec
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


def dedicated_cells() -> set[str]:
    from tenants.models import Tenant

    plans = list(settings.CELL_DEDICATED_PLANS)
    if not plans:
        return set()
    # The control plane's own database is never dedicated: tenants of such a plan placed before it was set stay
    # there without closing it to others.
    cells = Tenant.objects.filter(plan__in=plans).exclude(cell=DEFAULT_CELL).values_list("cell", flat=True)
    return set(cells.distinct())


def choose_cell(*, plan: str, requested: str | None = None) -> str:
    """The cell a new tenant of `plan` is provisioned on; `requested` (validated) wins over the policy."""
    if requested:
        cell_spec(requested)  # UnknownCell for a name that is not configured
        return requested
    if not settings.CELLS:
        return DEFAULT_CELL
    counts = cell_tenant_counts()
    if plan in settings.CELL_DEDICATED_PLANS:
        for name in settings.CELLS:  # never `default`: the control plane is shared
            if counts[name] == 0:
                return name
        raise NoCellAvailable(
            f"plan {plan!r} gets a cell of its own and every configured cell holds tenants: add one to CELLS",
            field="plan",
        )
    taken = dedicated_cells()
    candidates = [name for name in cell_names() if name not in taken]
    if not candidates:
        raise NoCellAvailable("every cell is dedicated to one tenant: add one to CELLS")
    return min(candidates, key=lambda name: (counts[name], candidates.index(name)))
