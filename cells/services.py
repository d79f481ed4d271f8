"""Making a database a cell: its public schema migrated (shared apps), its provisioning template and spare pool.

Every cell is a whole django-tenants database of its own; only its public schema's registry tables stay empty (the
registry is the control plane's). Tenant roles (tenants.db_roles) are created on the cell's server as tenants are
provisioned there.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

import psycopg
from django.core.management import call_command
from django.db import connection, transaction
from psycopg import sql

from cells.models import DedicatedCell
from cells.routing import control_alias, control_connection, dedicated_spec, on_cell
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


def dedicated_cell_create() -> DedicatedCell:
    """A new cell for one dedicated tenant: a database on `CELL_DEDICATED_SERVER`, registered on the control plane
    and prepared (public schema, template, spares: some seconds, paid once by that tenant's provisioning). Cut
    short, it leaves nothing: the database is dropped and the registry row deleted."""
    with transaction.atomic(using=control_alias()):
        cell = DedicatedCell.objects.create(name=f"_new{uuid.uuid4().hex[:12]}", database="")
        # Database names carry the control plane's: two installations (or test databases) sharing one server differ.
        cell.name = f"dedicated{cell.pk}"
        cell.database = f"{control_connection().settings_dict['NAME']}_dedicated{cell.pk}"[-63:]
        cell.save(update_fields=["name", "database"])
    try:
        with _server_admin() as admin:
            admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(cell.database)))
        cell_prepare(name=cell.name, spares=1)
    except BaseException:
        dedicated_cell_drop(cell=cell)
        raise
    return cell


def dedicated_cell_drop(*, cell: DedicatedCell) -> None:
    """Remove a dedicated cell: its database (whoever is connected to it) and its registry row. For an empty cell
    (a provisioning that failed, a tenant deleted for good)."""
    from cells.routing import close_cell_connections

    close_cell_connections()
    with _server_admin() as admin:
        admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(cell.database)))
    DedicatedCell.objects.filter(pk=cell.pk).delete()


def _server_admin() -> psycopg.Connection:
    spec = dedicated_spec("admin", "postgres")
    return psycopg.connect(spec.url, autocommit=True)
