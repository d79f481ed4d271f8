"""Making a database a cell: its public schema migrated (shared apps), its provisioning template and spare pool.

Every cell is a whole django-tenants database of its own; only its public schema's registry tables stay empty (the
registry is the control plane's). Tenant roles (tenants.db_roles) are created on the cell's server as tenants are
provisioned there.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.core.management import call_command
from django.db import connection

from cells.routing import on_cell
from tenants import schema_template


@dataclass(frozen=True)
class PreparedCell:
    name: str
    template_fingerprint: str
    spares_built: int


def cell_prepare(*, name: str, spares: int | None = None) -> PreparedCell:
    """Bring cell `name` up to the code: migrate its public schema, refresh its template, fill its spare pool
    (`spares`, default TENANT_SPARE_SCHEMAS). Idempotent; run at deploy for every cell, as `migrate_schemas --shared`
    is for the control plane."""
    with on_cell(name):
        connection.set_schema_to_public()  # type: ignore[attr-defined]
        call_command("migrate_schemas", shared=True, interactive=False, verbosity=0, skip_checks=True)
        connection.set_schema_to_public()  # type: ignore[attr-defined]
        state = schema_template.ensure_fresh_template()
        built = schema_template.refill_spare_schemas(spares)
        connection.set_schema_to_public()  # type: ignore[attr-defined]
    return PreparedCell(name=name, template_fingerprint=state.fingerprint, spares_built=built)
