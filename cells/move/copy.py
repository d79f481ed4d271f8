"""The copy itself: the schema's structure by pg_dump (in the copy's snapshot), rows by COPY streamed from one server
to the other, catch-up passes that re-copy the rows a captured change names, sequences, and the tenant's role on the
target with the grants provisioning gives it.

Rows are loaded with `session_replication_role = replica` on the target: the schema's own triggers and foreign keys
do not fire for rows that are already the result of them on the source (a stock move's trigger must not post twice).
That setting needs a superuser login on the target cell, as migrations of the fleet do.
"""

from __future__ import annotations

import re
import subprocess
from collections import defaultdict

import psycopg
from django.conf import settings
from psycopg import sql

from cells.move.capture import TRIGGER, Table, pending
from cells.move.conn import conninfo, value
from cells.move.errors import MoveError
from fleet.backup.sql import statements
from tenants import db_roles, schema_template

_DROPPED_LINE = ("SET ", "SELECT pg_catalog.set_config", "\\", "--")
# A column option this server keeps for itself (`pg_attver`, set by the server, refused by a server without it).
_SERVER_OWN = re.compile(r"^ALTER TABLE ONLY \S+ ALTER COLUMN \S+ SET \(pg_attver=\d+\);$")


def schema_ddl(cell: str, schema_name: str, snapshot: str, section: str) -> list[str]:
    """pg_dump's statements for one section (pre-data: schema, tables, functions; post-data: indexes, constraints,
    triggers) of the schema as the snapshot sees it, without session settings and without the capture triggers."""
    info = conninfo(cell)
    command = [schema_template.pg_dump_binary(), "--schema", schema_name, "--schema-only", "--section", section,
               "--no-owner", "--no-privileges", "--snapshot", snapshot, "--dbname", info["dbname"]]  # fmt: skip
    for option, key in (("--host", "host"), ("--port", "port"), ("--username", "user")):
        if key in info:
            command += [option, info[key]]
    env = {"PGPASSWORD": info.get("password", ""), "PATH": "/usr/bin:/bin"}
    result = subprocess.run(command, capture_output=True, text=True, env=env, timeout=600)
    if result.returncode != 0:
        raise MoveError(f"pg_dump of {schema_name} ({section}) failed: {result.stderr.strip()[-300:]}")
    text = "\n".join(
        line
        for line in result.stdout.splitlines()
        if line and not line.startswith(_DROPPED_LINE) and not _SERVER_OWN.match(line)
    )
    return [statement for statement in statements(text) if TRIGGER not in statement]


def run_ddl(target: psycopg.Connection, ddl: list[str]) -> None:
    for statement in ddl:
        target.execute(statement)


def copy_table(
    source: psycopg.Connection, target: psycopg.Connection, schema_name: str, table: Table, pks: list[str] | None = None
) -> int:
    """Stream the table's rows (all, or those with the given keys) from source to target; returns bytes copied."""
    select = sql.SQL("SELECT {} FROM {}").format(table.column_list(), table.ident(schema_name))
    if pks is not None:
        select = sql.SQL("{} WHERE {} = ANY({}::{}[])").format(
            select, sql.Identifier(table.pk), sql.Literal(pks), sql.SQL(table.pk_type)
        )
    copied = 0
    load = sql.SQL("COPY {} ({}) FROM STDIN").format(table.ident(schema_name), table.column_list())
    with (
        source.cursor() as out_cursor,
        target.cursor() as in_cursor,
        out_cursor.copy(sql.SQL("COPY ({}) TO STDOUT").format(select)) as out,
        in_cursor.copy(load) as into,
    ):
        for chunk in out:
            into.write(chunk)
            copied += len(chunk)
    return copied


def apply_changes(
    source: psycopg.Connection, target: psycopg.Connection, schema_name: str, tables: dict[str, Table], limit: int
) -> list[int]:
    """One catch-up pass in the source's current snapshot: for each captured change, delete the row on the target and
    copy the row as it now is (if it still exists). Returns the ids of the changes applied (to delete once the
    target has committed)."""
    changes = pending(source, schema_name, limit)
    keys: dict[str, set[str]] = defaultdict(set)
    for _id, table_name, pk in changes:
        keys[table_name].add(pk)
    for table_name, pks in sorted(keys.items()):
        table = tables.get(table_name)
        if table is None:
            raise MoveError(f"a change to {schema_name}.{table_name}, a table created during the move; start again")
        listed = sorted(pks)
        target.execute(
            sql.SQL("DELETE FROM {} WHERE {} = ANY({}::{}[])").format(
                table.ident(schema_name), sql.Identifier(table.pk), sql.Literal(listed), sql.SQL(table.pk_type)
            )
        )
        copy_table(source, target, schema_name, table, listed)
    return [change[0] for change in changes]


def copy_sequences(source: psycopg.Connection, target: psycopg.Connection, schema_name: str) -> int:
    """Set every sequence of the schema on the target to its source value (identity columns included).

    Run during the freeze, after the last catch-up: no write commits on the source any more, so its sequences are past
    every key a row holds. A write refused by the freeze still draws its key first (a column default comes before any
    trigger), so the source may move on afterwards: gaps, never a key handed out twice, which is why verification
    compares rows and not sequences."""
    names = [
        row[0]
        for row in source.execute(
            "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname = %s AND c.relkind = 'S' ORDER BY c.relname",
            [schema_name],
        ).fetchall()
    ]
    for name in names:
        ident = sql.Identifier(schema_name, name)
        last_value = value(source, sql.SQL("SELECT last_value FROM {}").format(ident))
        is_called = value(source, sql.SQL("SELECT is_called FROM {}").format(ident))
        target.execute("SELECT setval(%s::regclass, %s, %s)", [ident.as_string(target), last_value, is_called])
    return len(names)


def grant_tenant_role(target: psycopg.Connection, schema_name: str, database_name: str) -> str | None:
    """The tenant's role on the target database, with the grants tenants.db_roles gives at provisioning (the role's
    name carries the database's digest, so it is the target's own role, not the source's), for the tables the target
    holds."""
    if not db_roles.enabled():
        return None
    name = db_roles.role_name(schema_name, database_name)
    public = [
        table
        for table in settings.TENANT_DB_ROLE_PUBLIC_READ  # the target's public tables, where it has them
        if value(target, "SELECT to_regclass(%s)", [f"public.{table}"])
    ]
    restricted = [
        table
        for table in getattr(settings, "TENANT_DB_ROLE_TABLE_PRIVILEGES", {})
        if value(target, "SELECT to_regclass(%s)", [f'"{schema_name}".{table}'])
    ]
    statements = db_roles.grant_statements(name, schema_name, public)
    statements += db_roles.restriction_statements(name, schema_name, restricted)
    for statement in statements:
        target.execute(statement)
    return name


def drop_role(conn: psycopg.Connection, schema_name: str, database_name: str) -> None:
    """Drop the tenant's role of this database (what it holds here first); idempotent."""
    name = db_roles.role_name(schema_name, database_name)
    if conn.execute("SELECT FROM pg_roles WHERE rolname = %s", [name]).fetchone():
        role = sql.Identifier(name)
        conn.execute(sql.SQL("DROP OWNED BY {}; DROP ROLE {}").format(role, role))


def drop_schema(conn: psycopg.Connection, schema_name: str) -> None:
    conn.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(schema_name)))


def schema_exists(conn: psycopg.Connection, schema_name: str) -> bool:
    return value(conn, "SELECT EXISTS (SELECT FROM pg_namespace WHERE nspname = %s)", [schema_name])


def table_sizes(conn: psycopg.Connection, schema_name: str) -> list[tuple[str, int, int]]:
    """(table, estimated rows, bytes with indexes and TOAST), largest first: what a dry run reports."""
    return conn.execute(
        "SELECT c.relname, greatest(c.reltuples, 0)::bigint, pg_total_relation_size(c.oid) FROM pg_class c "
        "JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = %s AND c.relkind = 'r' "
        "ORDER BY 3 DESC, 1",
        [schema_name],
    ).fetchall()
