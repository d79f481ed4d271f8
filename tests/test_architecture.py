"""The import graph, read from the source: the tenancy core at the bottom, what spans apps at the top.

Every import counts, module-level or inside a function (a lazy import is still a dependency); migrations and tests
are left out. The layers, bottom up:

- tenancy core, `tenants`: registry, routing, provisioning, database roles, edge, the report registry. A shared app
  (public schema) that every other app may import; it imports none of them. `cells` (the databases tenants live on:
  placement and per-thread routing) belongs to it, the two importing each other; its `cells.move` (moving a tenant
  between cells online) is a fleet operation and may import `fleet` (backup digests, the ops audit).
- tenant platform apps, `access` (roles, users, API keys, sign-in limits), `audit` (the audit trail) and
  `customfields` (tenant-defined fields; entities named by a string key): what every
  business app uses. Not business apps, but tenant apps all the same, so the core does not import them either.
- business apps, `inventory`, `production`, `orders`, `planning`: the plant's data. `inventory` is at their bottom.
- fleet operations (`fleet`) and support sessions (`support`): shared apps beside each other, above the core. They
  reach tenant data through the ORM by label or through registries (tenants.reports), never by importing a business
  app.
- `dashboard`, at the top: the tenant home page and the demo seed, which read and write across apps.
"""

import ast
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
BUSINESS_APPS = {"inventory", "production", "orders", "planning"}
PLATFORM_APPS = {"access", "audit", "customfields"}
TOP = {"fleet", "support", "dashboard"}


def imported_apps(app: str) -> dict[str, set[str]]:
    """First-party top-level packages imported by the app's non-migration modules -> the files importing each."""
    found: dict[str, set[str]] = {}
    root = REPO / app
    assert root.is_dir(), f"no app {app}"
    for path in root.rglob("*.py"):
        if "migrations" in path.relative_to(root).parts:
            continue
        for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            else:
                continue
            for name in names:
                top = name.split(".")[0]
                if top != app:
                    found.setdefault(top, set()).add(str(path.relative_to(REPO)))
    return found


def offending(app: str, forbidden: set[str]) -> dict[str, list[str]]:
    return {name: sorted(files) for name, files in imported_apps(app).items() if name in forbidden}


def test_the_tenancy_core_imports_no_other_app():
    assert offending("tenants", BUSINESS_APPS | PLATFORM_APPS | TOP) == {}


MOVE = "cells/move/"  # moving a tenant between cells: a fleet operation (backups, audit), above the core


def offending_in(app: str, forbidden: set[str], *, inside: bool) -> dict[str, list[str]]:
    """As `offending`, for the app's files inside (or outside) the move package."""
    found = {
        name: sorted(f for f in files if f.startswith(MOVE) == inside)
        for name, files in imported_apps(app).items()
        if name in forbidden
    }
    return {name: files for name, files in found.items() if files}


def test_cells_import_no_app_above_the_tenancy_core():
    assert offending_in("cells", BUSINESS_APPS | PLATFORM_APPS | TOP, inside=False) == {}


def test_the_tenant_move_imports_fleet_but_no_business_or_top_app():
    assert offending_in("cells", BUSINESS_APPS | PLATFORM_APPS | {"support", "dashboard"}, inside=True) == {}


@pytest.mark.parametrize("app", sorted(BUSINESS_APPS & {path.name for path in REPO.iterdir()}))
def test_business_apps_import_neither_fleet_support_nor_dashboard(app):
    assert offending(app, TOP) == {}


@pytest.mark.parametrize("app", sorted(PLATFORM_APPS))
def test_platform_apps_import_no_business_app_and_nothing_above(app):
    assert offending(app, BUSINESS_APPS | TOP) == {}


def test_inventory_imports_neither_orders_nor_production():
    assert offending("inventory", {"orders", "production"}) == {}


@pytest.mark.parametrize("app", ["fleet", "support"])
def test_fleet_and_support_import_no_tenant_app(app):
    """They read tenant data by model label or through a registry the apps fill (tenants.reports)."""
    assert offending(app, BUSINESS_APPS | PLATFORM_APPS | TOP - {app}) == {}


def test_the_walk_sees_a_lazy_import(tmp_path, monkeypatch):
    """The reader is not blind to imports inside functions, which is how the core's old dependencies were written."""
    app = tmp_path / "probe"
    app.mkdir()
    (app / "views.py").write_text("def home():\n    from orders.models import SalesOrder\n    return SalesOrder\n")
    (app / "migrations").mkdir()
    (app / "migrations" / "0001_initial.py").write_text("import inventory\n")
    monkeypatch.setattr(sys.modules[__name__], "REPO", tmp_path)
    assert offending("probe", BUSINESS_APPS) == {"orders": ["probe/views.py"]}
