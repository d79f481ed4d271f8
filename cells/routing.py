"""The connection `default` is always the current tenant's cell.

Every service uses `django.db.connection` and `transaction.atomic()` without `using`, so a request, task or ops step
for a tenant on cell X swaps this thread's `connections["default"]` for a connection to cell X (Django's
ConnectionHandler keeps connections per thread, and `connections[alias] = wrapper` replaces one). One wrapper per
thread per cell is kept and reused (CONN_MAX_AGE), as Django keeps its own. Back on the cell `default`, the thread's
own control-plane connection is in place again.

While `default` points to another cell, the control plane's registry (tenants, domains, fleet and support tables) is
reached through the alias `control`, which names the thread's control-plane connection itself (the same wrapper, so
the same transaction): `cells.routers.ControlPlaneRouter` sends those models there. With no cell configured nothing
ever swaps, and nothing here runs a query or opens a connection.

Swaps nest like transactions: leave a cell (`on_cell` does) before leaving an atomic block opened outside it.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from asgiref.local import Local
from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connection, connections

from cells.config import DEFAULT_CELL, CellSpec, database_settings
from core.errors import DomainError

CONTROL_ALIAS = "control"


class UnknownCell(DomainError):
    pass


class _ThreadCells:
    def __init__(self) -> None:
        self.current = DEFAULT_CELL
        self.control: Any = None  # the thread's control-plane wrapper while another cell is swapped in
        self.wrappers: dict[tuple[str, str], Any] = {}


# thread_critical=False, as Django's ConnectionHandler: one state per thread (and per async context).
_state = Local()


def _cells() -> _ThreadCells:
    state = getattr(_state, "cells", None)
    if state is None:
        state = _state.cells = _ThreadCells()
    return state


def cell_names() -> list[str]:
    """Every cell in placement order: `default` first, the configured ones as given, then the dedicated cells
    created on demand (cells.services.dedicated_cell_create), oldest first."""
    return [DEFAULT_CELL, *settings.CELLS, *dedicated_cells()]


def dedicated_cells() -> dict[str, CellSpec]:
    """The cells created on demand for dedicated tenants (a registry read; none without CELL_DEDICATED_SERVER)."""
    if not settings.CELL_DEDICATED_SERVER:
        return {}
    from cells.models import DedicatedCell

    rows = DedicatedCell.objects.values_list("name", "database")
    specs = {name: dedicated_spec(name, database) for name, database in rows}
    _dedicated.update(specs)
    return specs


def dedicated_spec(name: str, database: str) -> CellSpec:
    """A dedicated cell's spec: the dedicated server's URL (its credentials) with the cell's own database."""
    base = urlsplit(settings.CELL_DEDICATED_SERVER)
    return CellSpec(name, urlunsplit(base._replace(path=f"/{database}")))


# Dedicated cells already looked up by this process (they are never renamed; a request to their tenants must not
# read the registry for them each time).
_dedicated: dict[str, CellSpec] = {}


def cell_spec(name: str) -> CellSpec | None:
    """The cell `name` (None for `default`); UnknownCell for a name neither configured nor created on demand."""
    if name == DEFAULT_CELL:
        return None
    spec = settings.CELLS.get(name) or _dedicated.get(name)
    if spec is None and settings.CELL_DEDICATED_SERVER:
        spec = dedicated_cells().get(name)
    if spec is None:
        raise UnknownCell(f"unknown cell {name!r}: the cells are {', '.join(cell_names())}", field="cell")
    return spec


def current_cell() -> str:
    """The cell this thread's `default` connection points to."""
    state = getattr(_state, "cells", None)
    return DEFAULT_CELL if state is None else state.current


def is_swapped() -> bool:
    state = getattr(_state, "cells", None)
    return state is not None and state.current != DEFAULT_CELL


def control_connection() -> Any:
    """The thread's connection to the control plane (registry reads that must not go to a tenant's cell)."""
    state = getattr(_state, "cells", None)
    if state is not None and state.current != DEFAULT_CELL:
        return state.control
    return connections[DEFAULT_DB_ALIAS]


def control_alias() -> str:
    """The alias to pass as `using` for work on the control plane (atomic blocks, on_commit)."""
    return CONTROL_ALIAS if is_swapped() else DEFAULT_DB_ALIAS


def _cell_wrapper(state: _ThreadCells, spec: CellSpec) -> Any:
    key = (spec.name, spec.url)
    wrapper = state.wrappers.get(key)
    if wrapper is None:
        from erp.db_backend.base import DatabaseWrapper

        # Named `default`, as the connection it stands in for: django-tenants migrates only through `default`
        # (TenantSyncRouter), and django.contrib.postgres looks a new connection up by its alias when it connects
        # (type handlers), which finds this one: it connects only while swapped in.
        wrapper = DatabaseWrapper(database_settings(spec, state.control.settings_dict), DEFAULT_DB_ALIAS)
        state.wrappers[key] = wrapper
    elif not wrapper.in_atomic_block:
        # What close_old_connections does for `default` at each request's start: past CONN_MAX_AGE or broken, it
        # is replaced on its next use.
        wrapper.close_if_unusable_or_obsolete()
    return wrapper


def switch(name: str) -> str:
    """Point this thread's `default` at cell `name`; returns the cell it pointed at before (pass it to `switch`
    to go back). Going to the cell already in place does nothing."""
    state = _cells()
    previous = state.current
    if name == previous:
        return previous
    spec = cell_spec(name)
    if previous == DEFAULT_CELL:
        state.control = connections[DEFAULT_DB_ALIAS]
        connections[CONTROL_ALIAS] = state.control
    leaving: Any = connections[DEFAULT_DB_ALIAS]  # erp.db_backend's wrapper
    arriving = state.control if spec is None else _cell_wrapper(state, spec)
    # A web request's statement timeout (erp.http_limits: set before the tenant is known, lifted when the response
    # is closed, on whichever connection is `default` then) travels with the thread; a cell's connection keeps none
    # of its own once left.
    arriving.statement_timeout_ms = getattr(leaving, "statement_timeout_ms", None)
    if leaving is not state.control:
        leaving.statement_timeout_ms = None
        # A cell's connection left behind must not keep the last tenant's search path and role for whatever uses
        # it next in this thread (nothing is sent now: the next statement carries the change).
        leaving.set_schema_to_public()
    connections[DEFAULT_DB_ALIAS] = arriving
    state.current = name
    return previous


def activate(tenant: Any) -> str:
    """Serve `tenant`: `default` to its cell, the connection to its schema and role. Returns the previous cell."""
    previous = switch(getattr(tenant, "cell", DEFAULT_CELL))
    connection.set_tenant(tenant)  # type: ignore[attr-defined]  # django-tenants' wrapper
    return previous


@contextmanager
def on_cell(name: str) -> Iterator[Any]:
    """Run the block with `default` on cell `name` (ops code: provisioning, migrations, backups); yields the
    connection, on the public schema unless the thread was already on that cell. The context in place before comes
    back after the block."""
    before = connection.tenant, connection.include_public_schema  # type: ignore[attr-defined]
    previous = switch(name)
    try:
        yield connections[DEFAULT_DB_ALIAS]
    finally:
        switch(previous)
        connection.set_tenant(*before)  # type: ignore[attr-defined]  # what a cell left was on is put back


@contextmanager
def tenant_on_cell(tenant: Any) -> Iterator[Any]:
    """Run the block as `tenant` on its cell (schema and role), then put back what was there."""
    from django_tenants.utils import tenant_context

    with on_cell(getattr(tenant, "cell", DEFAULT_CELL)), tenant_context(tenant):
        yield tenant


def close_cell_connections() -> None:
    """Close this thread's connections to other cells (thread end, tests)."""
    state = getattr(_state, "cells", None)
    if state is None:
        return
    for key, wrapper in list(state.wrappers.items()):
        if wrapper is not connections[DEFAULT_DB_ALIAS]:
            wrapper.close()
            del state.wrappers[key]
