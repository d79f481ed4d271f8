"""Planning a fleet migration: which schemas, grouped by the migrations they have applied, and what each group
has pending (one digest query per 200 schemas)."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db import connection
from django.db.migrations.loader import MigrationLoader
from django.db.migrations.migration import Migration
from django.db.migrations.operations.special import SeparateDatabaseAndState

from cells.routing import current_cell
from core.errors import DomainError
from fleet.models import FleetMigrationRecord
from tenants import schema_template
from tenants.models import Tenant

_FLEET_LOCK_KEY = 7_341_002
_CHUNK = 200
Record = FleetMigrationRecord.Status
Progress = Callable[[str], None]


class FleetMigrationError(DomainError):
    pass


@dataclass(frozen=True)
class Target:
    schema_name: str
    tenant_id: int | None  # None for the provisioning template
    label: str

    @property
    def is_template(self) -> bool:
        return self.tenant_id is None


@dataclass
class Group:
    """Schemas that have applied the same migrations, hence share one plan."""

    applied: frozenset[tuple[str, str]]
    plan: list[Migration]
    members: list[Target] = field(default_factory=list)
    # Filled by the first successful executor run in this group:
    statements: list[tuple[str, Any]] | None = None
    recorded: list[tuple[str, str]] | None = None
    post_migrate_apps: Any = None  # set when post_migrate handlers changed rows and must run on every schema

    @property
    def replayable(self) -> bool:
        return all(_replayable(migration) for migration in self.plan)

    @property
    def names(self) -> list[str]:
        return [f"{m.app_label}.{m.name}" for m in self.plan]


@dataclass
class FleetPlan:
    groups: list[Group]
    up_to_date: int
    broken: dict[str, str]  # schema -> why it cannot be migrated

    def pending(self) -> list[tuple[Target, Group]]:
        return sorted(
            ((target, group) for group in self.groups for target in group.members),
            key=lambda pair: (not pair[0].is_template, pair[0].label),
        )


# --- Planning ----------------------------------------------------------------------------------------------------


def fleet_targets(*, schemas: Iterable[str] | None = None) -> list[Target]:
    """Every tenant of the current cell whose schema exists, plus the cell's provisioning template; optionally only
    the given schemas."""
    connection.set_schema_to_public()
    with connection.cursor() as cursor:
        cursor.execute("SELECT nspname FROM pg_namespace")
        existing = {row[0] for row in cursor.fetchall()}
    wanted = set(schemas) if schemas is not None else None
    targets = [
        Target(schema_name, tenant_id, slug)
        for tenant_id, schema_name, slug in _tenants_of_this_cell()
        .order_by("slug")
        .values_list("pk", "schema_name", "slug")
        if schema_name in existing and (wanted is None or schema_name in wanted)
    ]
    template = schema_template.template_schema()
    if template in existing and (wanted is None or template in wanted):
        targets.insert(0, Target(template, None, f"(template {template})"))
    return targets


def _tenants_of_this_cell():
    tenants = Tenant.objects.exclude(schema_name="public")
    # With cells, a schema of the same name on another server is another tenant's, or none: only this cell's count.
    return tenants.filter(cell=current_cell()) if settings.CELLS else tenants


def _digest(migrations: Iterable[tuple[str, str]]) -> str:
    text = "\n".join(f"{app}.{name}" for app, name in sorted(migrations))
    return hashlib.md5(text.encode(), usedforsecurity=False).hexdigest()


def applied_digests(schemas: list[str]) -> tuple[dict[str, str], set[str]]:
    """Digest of each schema's applied migrations, a query per 200 schemas; and the schemas lacking the table."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT n.nspname FROM pg_namespace n JOIN pg_class c ON c.relnamespace = n.oid "
            "WHERE c.relname = 'django_migrations' AND c.relkind = 'r' AND n.nspname = ANY(%s)",
            [schemas],
        )
        with_table = {row[0] for row in cursor.fetchall()}
        digests: dict[str, str] = {}
        candidates = [s for s in schemas if s in with_table]
        for start in range(0, len(candidates), _CHUNK):
            chunk = candidates[start : start + _CHUNK]
            sql = " UNION ALL ".join(
                "SELECT %s, md5(coalesce(string_agg(app || '.' || name, E'\\n' "
                f'ORDER BY app COLLATE "C", name COLLATE "C"), \'\')) FROM {schema_template.quote(s)}.django_migrations'
                for s in chunk
            )
            cursor.execute(sql, chunk)
            digests.update(dict(cursor.fetchall()))
    return digests, set(schemas) - with_table


def _applied_in(schema_name: str) -> frozenset[tuple[str, str]]:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT app, name FROM {schema_template.quote(schema_name)}.django_migrations")
        return frozenset(cursor.fetchall())


def _tenant_apps() -> set[str]:
    return {app.rsplit(".", 1)[-1] for app in settings.TENANT_APPS}


def _replayable(migration: Migration) -> bool:
    """Whether applying `migration` to a tenant schema is nothing but SQL its schema editor executes."""
    if migration.app_label not in _tenant_apps():
        return True  # the router skips its operations in tenant schemas; only its row is recorded
    if not migration.atomic:
        return False

    def sql_only(operations: list) -> bool:
        for operation in operations:
            if isinstance(operation, SeparateDatabaseAndState):
                if not sql_only(operation.database_operations):
                    return False
            elif not operation.reduces_to_sql:
                return False
        return True

    return sql_only(migration.operations)


def _forward_plan(loader: MigrationLoader, applied: frozenset[tuple[str, str]]) -> list[Migration]:
    """What Django's executor would apply to reach every leaf, in order (as MigrationExecutor.migration_plan)."""
    plan: list[tuple[str, str]] = []
    seen = set(applied)
    for target in loader.graph.leaf_nodes():
        for node in loader.graph.forwards_plan(target):
            if node not in seen:
                seen.add(node)
                plan.append(node)
    return [loader.graph.nodes[key] for key in plan]


def fleet_plan(targets: list[Target]) -> FleetPlan:
    """Group the targets by applied migrations and compute each group's plan (nothing is written)."""
    loader = MigrationLoader(None, ignore_no_migrations=True)
    code_digest = _digest(loader.graph.nodes)
    digests, without_table = applied_digests([t.schema_name for t in targets])
    by_digest: dict[str, list[Target]] = {}
    up_to_date = 0
    for target in targets:
        digest = digests.get(target.schema_name)
        if digest is None:
            continue
        if digest == code_digest:
            up_to_date += 1
        else:
            by_digest.setdefault(digest, []).append(target)
    groups = []
    for members in by_digest.values():
        applied = _applied_in(members[0].schema_name)
        plan = _forward_plan(loader, applied)
        if plan:
            groups.append(Group(applied=applied, plan=plan, members=members))
        else:
            up_to_date += len(members)  # extra rows only (migrations deleted from disk): nothing to apply
    broken = {
        s: f"schema {s!r} has no django_migrations table; run manage.py migrate_schemas --schema {s}"
        for s in without_table
    }
    return FleetPlan(groups=groups, up_to_date=up_to_date, broken=broken)
