"""The control plane's tables stay on the control plane whichever cell the thread's `default` points to.

The public-only shared apps (tenant registry, fleet operations, support sessions, cells) have their rows on the
control plane alone. While `default` is the control plane (always, with no cell configured) this router says
nothing and Django's usual `default` applies; while it is another cell (cells.routing), their models go to the alias
`control`, the thread's control-plane connection. The provisioning template and spare schemas (tenants.SchemaTemplate,
tenants.SpareSchema) belong to each cell: they describe schemas on that cell's server, so they follow `default`.
"""

from __future__ import annotations

from typing import Any

from django.db import DEFAULT_DB_ALIAS

from cells import routing

CONTROL_APPS = frozenset({"tenants", "fleet", "support", "cells", "django_tenants"})
PER_CELL_MODELS = frozenset({"tenants.schematemplate", "tenants.spareschema"})


def on_control_plane(model: Any) -> bool:
    meta = model._meta
    return meta.app_label in CONTROL_APPS and meta.label_lower not in PER_CELL_MODELS


class ControlPlaneRouter:
    def _route(self, model: Any, hints: dict[str, Any]) -> str | None:
        if not on_control_plane(model):
            return None
        if routing.is_swapped():
            return routing.CONTROL_ALIAS
        # An instance loaded while another cell was in place remembers `control`; back on the control plane it is
        # the same database through `default`.
        instance = hints.get("instance")
        if instance is not None and instance._state.db == routing.CONTROL_ALIAS:
            return DEFAULT_DB_ALIAS
        return None

    def db_for_read(self, model: Any, **hints: Any) -> str | None:
        return self._route(model, hints)

    def db_for_write(self, model: Any, **hints: Any) -> str | None:
        return self._route(model, hints)

    def allow_relation(self, obj1: Any, obj2: Any, **hints: Any) -> bool | None:
        # A tenant row read through `control` and one read through `default` are the same database's rows.
        aliases = {obj1._state.db, obj2._state.db}
        if aliases <= {routing.CONTROL_ALIAS, DEFAULT_DB_ALIAS}:
            return True
        return None

    def allow_migrate(self, db: str, app_label: str, **hints: Any) -> bool | None:
        # `control` is the control plane under a second name: migrated as `default`, never by itself.
        return False if db == routing.CONTROL_ALIAS else None
