"""The second isolation layer: one PostgreSQL role per tenant, the only role (besides the owner) that can reach the
tenant's schema.

Requests, tasks and commands that run *as a tenant* (`connection.set_tenant(tenant)`: routing, tenant_context,
Celery tasks) switch to the tenant's role together with the search path, in the same round trip as the first query
(see erp.db_backend). So even raw SQL that names another tenant's schema is refused by PostgreSQL itself. Owner work
that addresses a schema by name only (`schema_context`, migrations, provisioning, fleet tooling) keeps the login role.

Roles are cluster-wide while schemas belong to one database, so a role's name carries a short digest of the
database name: `t_<6 hex of database>_<schema>`. Test databases running side by side never share roles.
A tenant role may use its own schema (tables, sequences, and tables later migrations add, through default
privileges) and read the few shared public tables listed in `TENANT_DB_ROLE_PUBLIC_READ`; nothing else.
"""

from __future__ import annotations

import functools
import hashlib

from django.conf import settings
from django.db import connection
from psycopg import sql

ROLE_PREFIX = "t_"


def role_prefix(database_name: str | None = None) -> str:
    """Prefix of every tenant role of this database."""
    return _prefix_of(database_name or connection.settings_dict["NAME"])


@functools.cache
def _prefix_of(database_name: str) -> str:
    # Cached: the backend asks for the role name of the request's tenant on every tenant switch.
    return f"{ROLE_PREFIX}{hashlib.blake2s(database_name.encode(), digest_size=8).hexdigest()[:6]}_"


def role_name(schema_name: str, database_name: str | None = None) -> str:
    name = f"{role_prefix(database_name)}{schema_name}"
    if len(name) > 63:  # PostgreSQL truncates identifiers at 63 bytes; keep names distinct instead
        name = f"{role_prefix(database_name)}{hashlib.blake2s(schema_name.encode(), digest_size=8).hexdigest()}"
    return name


def enabled() -> bool:
    return bool(getattr(settings, "TENANT_DB_ROLES", False))


def grant_tenant_role(schema_name: str) -> str | None:
    """Create the tenant's role if missing and give it its schema; idempotent, in the caller's transaction.

    Does nothing (returns None) when TENANT_DB_ROLES is off, but pins the schema's SECURITY DEFINER functions to it
    either way (`pin_definer_functions`): every path that makes a tenant schema (spare claim, template replay,
    restore) ends here."""
    pin_definer_functions(schema_name)
    if not enabled():
        return None
    name = role_name(schema_name)
    statements = grant_statements(name, schema_name, settings.TENANT_DB_ROLE_PUBLIC_READ)
    with connection.cursor() as cursor:
        cursor.execute(sql.SQL("; ").join(statements).as_string(cursor.connection))
    restrict_tenant_role(schema_name)
    return name


def grant_statements(name: str, schema_name: str, public_tables: list[str]) -> list[sql.Composed]:
    """The statements that create the role `name` if missing and give it the schema and read access to
    `public_tables` (of those listed in TENANT_DB_ROLE_PUBLIC_READ, the ones the database holds); idempotent."""
    role = sql.Identifier(name)
    schema = sql.Identifier(schema_name)
    return [
        sql.SQL(
            "DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = {name}) THEN "
            "CREATE ROLE {role} NOLOGIN NOINHERIT; END IF; END $$"
        ).format(name=sql.Literal(name), role=role),
        # A non-superuser login role needs membership to SET ROLE; for a superuser it is harmless.
        sql.SQL("GRANT {role} TO CURRENT_USER").format(role=role),
        sql.SQL("GRANT USAGE ON SCHEMA {schema} TO {role}").format(schema=schema, role=role),
        sql.SQL("GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA {schema} TO {role}").format(
            schema=schema, role=role
        ),
        sql.SQL("GRANT USAGE, SELECT, UPDATE ON ALL SEQUENCES IN SCHEMA {schema} TO {role}").format(
            schema=schema, role=role
        ),
        # Tables that later migrations add (run by this same login role) are granted as they are created.
        sql.SQL(
            "ALTER DEFAULT PRIVILEGES IN SCHEMA {schema} GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO {role}"
        ).format(schema=schema, role=role),
        sql.SQL(
            "ALTER DEFAULT PRIVILEGES IN SCHEMA {schema} GRANT USAGE, SELECT, UPDATE ON SEQUENCES TO {role}"
        ).format(schema=schema, role=role),
        *[
            sql.SQL("GRANT SELECT ON {table} TO {role}").format(table=sql.Identifier("public", table), role=role)
            for table in public_tables
        ],
    ]


def restriction_statements(name: str, schema_name: str, tables: list[str]) -> list[sql.Composed]:
    """The statements that leave the role `name` only `TENANT_DB_ROLE_TABLE_PRIVILEGES` on `tables` (those of the
    setting's tables that the schema holds)."""
    privileges = getattr(settings, "TENANT_DB_ROLE_TABLE_PRIVILEGES", {})
    statements: list[sql.Composed] = []
    for table in tables:
        qualified = sql.Identifier(schema_name, table)
        # REVOKE ALL also takes back column privileges; the privileges come from settings, not from input.
        statements.append(
            sql.SQL("REVOKE ALL ON {table} FROM {role}").format(table=qualified, role=sql.Identifier(name))
        )
        statements.append(
            sql.SQL("GRANT {privileges} ON {table} TO {role}").format(
                privileges=sql.SQL(privileges[table]), table=qualified, role=sql.Identifier(name)
            )
        )
    return statements


def restrict_tenant_role(schema_name: str) -> None:
    """Give the tenant's role only `TENANT_DB_ROLE_TABLE_PRIVILEGES` on those tables of its schema (idempotent).

    Run after every grant (the grant on all tables, and default privileges for tables created later, give the full
    set), and by the migrations that create or restrict such tables. Does nothing when the role or the layer does not
    exist yet: the grant that creates the role applies the restrictions then."""
    if not enabled():
        return
    name = role_name(schema_name)
    tables = getattr(settings, "TENANT_DB_ROLE_TABLE_PRIVILEGES", {})
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT tablename FROM pg_tables WHERE schemaname = %s AND tablename = ANY(%s)"
            " AND EXISTS (SELECT FROM pg_roles WHERE rolname = %s) ORDER BY tablename",
            [schema_name, list(tables), name],
        )
        existing = [row[0] for row in cursor.fetchall()]
        statements = restriction_statements(name, schema_name, existing)
        if statements:
            cursor.execute(sql.SQL("; ").join(statements).as_string(cursor.connection))


def pin_definer_functions(schema_name: str) -> None:
    """Set `search_path = <schema>, pg_temp` on every SECURITY DEFINER function of the schema.

    Such a function runs as its owner, so its table names must resolve in its own schema whatever the caller's
    search path (and never to a temporary table). The path is fixed when a migration creates the function, but a
    copied schema keeps its source's name there: a spare renamed on claim, the template replayed under a new name, a
    backup restored under another slug. Idempotent; in the caller's transaction."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT p.oid::regprocedure::text FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace"
            " WHERE n.nspname = %s AND p.prosecdef ORDER BY p.oid",
            [schema_name],
        )
        functions = [row[0] for row in cursor.fetchall()]
        for function in functions:
            # regprocedure text is schema-qualified (the schema is not on this search path) and quoted as needed.
            cursor.execute(
                sql.SQL("ALTER FUNCTION {function} SET search_path = {schema}, pg_temp")
                .format(function=sql.SQL(function), schema=sql.Identifier(schema_name))
                .as_string(cursor.connection)
            )


def drop_tenant_role(schema_name: str) -> None:
    """Remove the tenant's role and every privilege it holds in this database; in the caller's transaction."""
    _drop_roles([role_name(schema_name)])


def drop_roles_of_database(database_name: str | None = None) -> int:
    """Drop every tenant role named for `database_name` (default: the connected one), with what they hold in the
    connected database; for test databases and leftovers of a dropped database. Returns how many."""
    return _drop_roles([], prefix=role_prefix(database_name))


def _drop_roles(names: list[str], *, prefix: str | None = None) -> int:
    """Drop the roles among `names` (or named with `prefix`) that exist, with what they hold in this database."""
    with connection.cursor() as cursor:
        if prefix is not None:
            cursor.execute("SELECT rolname FROM pg_roles WHERE starts_with(rolname, %s)", [prefix])
        else:
            cursor.execute("SELECT rolname FROM pg_roles WHERE rolname = ANY(%s)", [names])
        existing = [row[0] for row in cursor.fetchall()]
        for name in existing:
            role = sql.Identifier(name).as_string(cursor.connection)
            cursor.execute(f"DROP OWNED BY {role}; DROP ROLE {role}")
    return len(existing)


def sync_tenant_roles() -> list[str]:
    """Give every tenant whose schema exists its role and grants (idempotent): for tenants provisioned before roles
    existed, or tables a migration run by another login role added. Returns the roles granted."""
    from django.db import transaction
    from django_tenants.utils import schema_exists

    from cells.routing import on_cell
    from tenants.models import Tenant

    granted = []
    connection.set_schema_to_public()  # type: ignore[attr-defined]  # django-tenants' wrapper
    tenants = list(Tenant.objects.exclude(status=Tenant.Status.ARCHIVED).order_by("slug"))
    for cell in sorted({tenant.cell for tenant in tenants}):
        with on_cell(cell):  # roles are per server: each cell's tenants get theirs there
            connection.set_schema_to_public()  # type: ignore[attr-defined]
            for tenant in tenants:
                if tenant.cell == cell and schema_exists(tenant.schema_name):
                    with transaction.atomic():
                        granted.append(grant_tenant_role(tenant.schema_name))
    return [role for role in granted if role]
