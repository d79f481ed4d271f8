"""The cross-tenant ops report: per tenant a few counts, its schema's size on disk and its last activity.

Counts come from each tenant's schema through the ORM (`tenant_context`), never from SQL written per schema: a
metric is a function that runs inside one tenant, registered with `tenants.reports.metric`; the users and sign-in
figures are registered here (FleetConfig.ready imports this module), each business app registers its own from its
`AppConfig.ready` (inventory: items, stock moves, last stock move), so this module names no business app. Sizes
come from one catalog query for every schema at once. Results are kept in `TenantReportRow`, shown in the public
admin and printed by `manage.py fleet_report [--csv]`; the `tenant_stats` fan-out job gathers the same figures on
the workers.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.apps import apps
from django.db import DatabaseError, connection, transaction
from django.db.models import Max
from django.utils import timezone
from django_tenants.utils import get_public_schema_name, schema_context, tenant_context

from cells.routing import UnknownCell, cell_spec, on_cell
from fleet.models import TenantReportRow
from tenants.models import Tenant
from tenants.reports import ACTIVITY, METRICS, activity, metric

logger = logging.getLogger(__name__)


@metric("users")
def _users() -> int:
    return apps.get_model("auth.User").objects.count()


@activity("login")
def _last_login() -> datetime | None:
    return apps.get_model("auth.User").objects.aggregate(at=Max("last_login"))["at"]


@activity("admin")
def _last_admin_action() -> datetime | None:
    return apps.get_model("admin.LogEntry").objects.aggregate(at=Max("action_time"))["at"]


@dataclass(frozen=True)
class TenantFigures:
    metrics: dict[str, Any]
    last_activity: datetime | None


def current_tenant_figures() -> TenantFigures:
    """Every registered metric and activity source, for the schema the connection is on.

    A metric that fails (say, an app's table this tenant does not have yet) is reported as None, not raised.
    """
    values: dict[str, Any] = {}
    for name, fn in METRICS.items():
        values[name] = _safely(name, fn)
    times = [t for t in (_safely(name, fn) for name, fn in ACTIVITY.items()) if t is not None]
    return TenantFigures(values, max(times) if times else None)


def _safely(name: str, fn: Callable[[], Any]) -> Any:
    try:
        with transaction.atomic():
            return fn()
    except DatabaseError as exc:
        logger.warning("report metric %s failed in %s: %s", name, connection.schema_name, exc)
        return None


def schema_sizes() -> dict[str, int]:
    """Bytes on disk per schema (tables with their indexes and TOAST), one catalog query for all schemas."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT n.nspname, sum(pg_total_relation_size(c.oid))::bigint FROM pg_class c "
            "JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.relkind IN ('r', 'm', 'p') GROUP BY n.nspname"
        )
        return dict(cursor.fetchall())


def store_figures(*, tenant: Tenant, figures: TenantFigures, schema_bytes: int | None = None) -> TenantReportRow:
    defaults = {"metrics": figures.metrics, "last_activity": figures.last_activity, "collected_at": timezone.now()}
    if schema_bytes is not None:
        defaults["schema_bytes"] = schema_bytes
    # Called from a tenant's own context too (the fan-out job); the report is the platform's, written as the owner.
    with schema_context(get_public_schema_name()):
        row, _ = TenantReportRow.objects.update_or_create(tenant=tenant, defaults=defaults)
    return row


def collect_fleet_report(*, tenants: list[Tenant] | None = None) -> list[TenantReportRow]:
    """Gather the figures of every tenant that has a schema (active and suspended), one schema at a time, cell by
    cell (each cell's sizes from its own catalog)."""
    connection.set_schema_to_public()
    if tenants is None:
        tenants = list(Tenant.objects.exclude(schema_name="public").order_by("slug"))
    by_cell: dict[str, list[Tenant]] = {}
    for tenant in tenants:
        by_cell.setdefault(tenant.cell, []).append(tenant)
    rows = []
    for cell, members in by_cell.items():
        try:
            cell_spec(cell)
        except UnknownCell:
            logger.error("fleet report: %d tenant(s) on cell %r, which is not configured", len(members), cell)
            continue
        with on_cell(cell):
            connection.set_schema_to_public()
            sizes = schema_sizes()
            for tenant in members:
                if tenant.schema_name not in sizes:
                    continue  # archived: no schema
                with tenant_context(tenant):
                    figures = current_tenant_figures()
                rows.append(store_figures(tenant=tenant, figures=figures, schema_bytes=sizes[tenant.schema_name]))
    return sorted(rows, key=lambda row: row.tenant.slug)


def report_columns() -> list[str]:
    return ["slug", "name", "plan", "status", "cell", *METRICS, "schema_bytes", "last_activity", "collected_at"]


def report_rows() -> list[dict[str, Any]]:
    """The stored report, one dict per tenant, in `report_columns()` order."""
    out = []
    for row in TenantReportRow.objects.select_related("tenant").order_by("tenant__slug"):
        tenant = row.tenant
        out.append(
            {
                "slug": tenant.slug,
                "name": tenant.name,
                "plan": tenant.plan,
                "status": tenant.status,
                "cell": tenant.cell,
                **{name: row.metrics.get(name) for name in METRICS},
                "schema_bytes": row.schema_bytes,
                "last_activity": row.last_activity.isoformat() if row.last_activity else "",
                "collected_at": row.collected_at.isoformat(),
            }
        )
    return out
