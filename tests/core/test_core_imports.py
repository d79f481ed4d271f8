"""core is the bottom of the graph: every app may import it, it imports no app of the project but itself."""

from __future__ import annotations

import ast
from pathlib import Path

import core

CORE = Path(core.__file__).parent
PROJECT_APPS = {
    "access",
    "audit",
    "dashboard",
    "erp",
    "fleet",
    "inventory",
    "orders",
    "planning",
    "production",
    "support",
    "tenants",
}


def _imported_modules(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def test_core_imports_no_business_app():
    found = {
        f"{path.relative_to(CORE.parent)}: {module}"
        for path in CORE.rglob("*.py")
        for module in _imported_modules(path)
        if module.split(".")[0] in PROJECT_APPS
    }
    assert not found, f"core must not import the project's apps: {sorted(found)}"


def test_core_errors_import_no_drf():
    assert not any(name.startswith("rest_framework") for name in _imported_modules(CORE / "errors.py"))
