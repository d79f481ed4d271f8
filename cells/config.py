"""The configured cells: `CELLS=cell1=postgres://…,cell2=postgres://…` (django-environ database URLs).

`default` is always a cell: the control plane's own database (DATABASES["default"]). A cell named in `CELLS` may not
be called `default`; a malformed entry stops the process at start with one line that names it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import environ
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

DEFAULT_CELL = "default"
_NAME = re.compile(r"^[a-z][a-z0-9_]{0,29}$")


@dataclass(frozen=True)
class CellSpec:
    name: str
    url: str  # as configured (the password, if any, is never printed: see `safe_url`)

    @property
    def safe_url(self) -> str:
        return re.sub(r"//([^:/@]+):[^@]*@", r"//\1:***@", self.url)


def parse_cells(value: str) -> dict[str, CellSpec]:
    """`name=url,name=url` -> specs by name, in the order given. Raises ImproperlyConfigured on a bad entry."""
    cells: dict[str, CellSpec] = {}
    for entry in (part.strip() for part in value.split(",")):
        if not entry:
            continue
        name, equals, url = entry.partition("=")
        name = name.strip()
        if not equals or not url.strip():
            raise ImproperlyConfigured(f"CELLS entry {entry!r} is not name=postgres://…")
        if not _NAME.match(name) or name == DEFAULT_CELL:
            raise ImproperlyConfigured(
                f"CELLS: cell name {name!r} must be lowercase letters, digits and _ (not {DEFAULT_CELL!r})"
            )
        if name in cells:
            raise ImproperlyConfigured(f"CELLS: cell {name!r} is named twice")
        if not url.strip().startswith(("postgres://", "postgresql://")):
            raise ImproperlyConfigured(f"CELLS: cell {name!r} needs a postgres:// URL")
        cells[name] = CellSpec(name, url.strip())
    return cells


def database_settings(spec: CellSpec, default: dict[str, Any]) -> dict[str, Any]:
    """Django DATABASES settings for a cell: its URL, everything else (engine, pooling, options) as `default`.

    Behind PgBouncer in transaction pooling (DATABASE_POOL_MODE=transaction) a server-side cursor would outlive the
    transaction that holds its server connection, so a cell's connection never opens one, whatever `default` says
    (erp.db_backend turns off server-side prepared statements from the same setting)."""
    config = dict(default)
    config.update(environ.Env.db_url_config(spec.url))
    config["ENGINE"] = default["ENGINE"]
    config["OPTIONS"] = {**default.get("OPTIONS", {}), **config.get("OPTIONS", {})}
    if getattr(settings, "DATABASE_POOL_MODE", "session") == "transaction":
        config["DISABLE_SERVER_SIDE_CURSORS"] = True
    return config
