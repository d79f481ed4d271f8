"""Change capture on the source cell: a row trigger on every table of the tenant's schema records the primary key
of each row written (in `_move.changes`, in the writer's own transaction), and refuses writes while the tenant is
frozen or fenced.

Trigger-based, not logical replication: the control plane's server runs with wal_level=replica, and changing that
needs a restart; a trigger works on any PostgreSQL. A change row becomes visible exactly when the write it records
commits, so a catch-up pass that reads change rows and current rows in one snapshot, applies them, and then deletes
just those change rows never misses a write, whatever order the writers commit in.

The freeze is a PostgreSQL advisory lock, not a flag: each writing transaction takes the tenant's key shared (once,
at its first row), and the mover asks for it exclusively. Asking makes new writers fail at once (a waiting exclusive
request blocks new shared ones), the grant means every writer in flight has committed or rolled back, and a mover
that dies releases it with its session: the database never stays frozen by a dead process. After the verified copy
the source is fenced for good (`_move.fence`), before the registry flips, so a process still routing to the old
cell cannot write there.
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass

import psycopg
from psycopg import sql

from cells.move.conn import value
from cells.move.errors import MoveError

TRIGGER = "_move_capture"
TRUNCATE_TRIGGER = "_move_capture_truncate"  # row triggers do not see a TRUNCATE: refused while the move lasts
# SQLSTATE of a write refused because the tenant is frozen or fenced (cells.middleware answers it with a 503).
FROZEN_SQLSTATE = "MV001"

_SETUP = """
CREATE SCHEMA IF NOT EXISTS _move;
CREATE TABLE IF NOT EXISTS _move.changes (
    id bigserial PRIMARY KEY, schema_name text NOT NULL, table_name text NOT NULL, pk text NOT NULL);
CREATE INDEX IF NOT EXISTS changes_schema_id ON _move.changes (schema_name, id);
CREATE TABLE IF NOT EXISTS _move.fence (
    schema_name text PRIMARY KEY, move_id bigint NOT NULL, at timestamptz NOT NULL DEFAULT now());
CREATE OR REPLACE FUNCTION _move.capture() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp AS $fn$
DECLARE
    pk_column text := TG_ARGV[0];
    old_pk text;
    new_pk text;
BEGIN
    IF NOT pg_try_advisory_xact_lock_shared(TG_ARGV[1]::bigint)
       OR EXISTS (SELECT FROM _move.fence WHERE schema_name = TG_TABLE_SCHEMA) THEN
        RAISE EXCEPTION USING ERRCODE = 'MV001',
            MESSAGE = format('workspace %s is moving to another database server; writes are paused', TG_TABLE_SCHEMA);
    END IF;
    IF TG_OP <> 'INSERT' THEN
        old_pk := to_jsonb(OLD) ->> pk_column;
        INSERT INTO _move.changes (schema_name, table_name, pk) VALUES (TG_TABLE_SCHEMA, TG_TABLE_NAME, old_pk);
    END IF;
    IF TG_OP <> 'DELETE' THEN
        new_pk := to_jsonb(NEW) ->> pk_column;
        IF new_pk IS DISTINCT FROM old_pk THEN
            INSERT INTO _move.changes (schema_name, table_name, pk) VALUES (TG_TABLE_SCHEMA, TG_TABLE_NAME, new_pk);
        END IF;
    END IF;
    RETURN NULL;
END
$fn$;
REVOKE ALL ON FUNCTION _move.capture() FROM PUBLIC;
CREATE OR REPLACE FUNCTION _move.refuse_truncate() RETURNS trigger LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp AS $fn$
BEGIN
    RAISE EXCEPTION USING ERRCODE = 'MV001',
        MESSAGE = format('workspace %s is moving to another database server; TRUNCATE is refused', TG_TABLE_SCHEMA);
END
$fn$;
REVOKE ALL ON FUNCTION _move.refuse_truncate() FROM PUBLIC;
"""


@dataclass(frozen=True)
class Table:
    name: str
    pk: str  # the single primary-key column
    pk_type: str  # format_type of it, for `= ANY(%s::<type>[])`
    columns: tuple[str, ...]  # in attnum order, generated columns left out (COPY cannot load them)

    def ident(self, schema_name: str) -> sql.Composable:
        return sql.Identifier(schema_name, self.name)

    def column_list(self) -> sql.Composable:
        return sql.SQL(", ").join(sql.Identifier(column) for column in self.columns)


def freeze_key(schema_name: str) -> int:
    """The advisory-lock key of a tenant's freeze (a signed 64-bit digest of the schema name)."""
    return int.from_bytes(hashlib.blake2b(f"_move:{schema_name}".encode(), digest_size=8).digest(), "big", signed=True)


def tables(conn: psycopg.Connection, schema_name: str) -> list[Table]:
    """Every table of the schema with its primary key; a table without a one-column primary key cannot be moved."""
    rows = conn.execute(
        """
        SELECT c.relname,
               (SELECT array_agg(a.attname::text ORDER BY a.attnum) FROM pg_attribute a
                 WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped AND a.attgenerated = ''),
               (SELECT array_agg(a.attname::text || ' ' || format_type(a.atttypid, a.atttypmod))
                  FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey)
                 WHERE i.indrelid = c.oid AND i.indisprimary)
          FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
         WHERE n.nspname = %s AND c.relkind = 'r' ORDER BY c.relname
        """,
        [schema_name],
    ).fetchall()
    found = []
    for name, columns, pk in rows:
        if not pk or len(pk) != 1:
            raise MoveError(f"table {schema_name}.{name} has no one-column primary key; it cannot be moved online")
        pk_name, pk_type = pk[0].split(" ", 1)
        found.append(Table(name, pk_name, pk_type, tuple(columns)))
    return found


def install(conn: psycopg.Connection, schema_name: str) -> int:
    """Create `_move` (idempotent) and the capture trigger on every table of the schema, in one transaction.

    CREATE TRIGGER waits for the writers of each table to finish, so every write not captured has committed before
    this does (and is in the copy's snapshot, taken after). A writer holding one table while waiting for another
    could deadlock with us: a short lock timeout and a few tries instead."""
    key = freeze_key(schema_name)
    for attempt in range(1, 11):
        try:
            with conn.transaction():
                conn.execute("SET LOCAL lock_timeout = '2s'")
                conn.execute(_SETUP)
                listed = tables(conn, schema_name)
                for table in listed:
                    conn.execute(
                        sql.SQL(
                            "DROP TRIGGER IF EXISTS {trigger} ON {table}; CREATE TRIGGER {trigger} AFTER INSERT OR "
                            "UPDATE OR DELETE ON {table} FOR EACH ROW EXECUTE FUNCTION _move.capture({pk}, {key}); "
                            "DROP TRIGGER IF EXISTS {truncate} ON {table}; CREATE TRIGGER {truncate} BEFORE TRUNCATE "
                            "ON {table} FOR EACH STATEMENT EXECUTE FUNCTION _move.refuse_truncate()"
                        ).format(
                            trigger=sql.Identifier(TRIGGER),
                            truncate=sql.Identifier(TRUNCATE_TRIGGER),
                            table=table.ident(schema_name),
                            pk=sql.Literal(table.pk),
                            key=sql.Literal(str(key)),
                        )
                    )
            return len(listed)
        except (psycopg.errors.LockNotAvailable, psycopg.errors.DeadlockDetected):
            if attempt == 10:
                raise MoveError(f"could not install change capture on {schema_name}: its tables stay locked") from None
            time.sleep(0.2 * attempt)
    raise AssertionError("unreachable")


def remove(conn: psycopg.Connection, schema_name: str) -> None:
    """Drop the capture triggers, the captured changes and the fence of the schema (idempotent)."""
    with conn.transaction():
        if not value(conn, "SELECT to_regclass('_move.changes')"):
            return
        rows = conn.execute(
            "SELECT t.tgname, c.relname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
            "JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = %s AND t.tgname = ANY(%s)",
            [schema_name, [TRIGGER, TRUNCATE_TRIGGER]],
        ).fetchall()
        for trigger, table in rows:
            conn.execute(
                sql.SQL("DROP TRIGGER IF EXISTS {} ON {}").format(
                    sql.Identifier(trigger), sql.Identifier(schema_name, table)
                )
            )
        conn.execute("DELETE FROM _move.changes WHERE schema_name = %s", [schema_name])
        conn.execute("DELETE FROM _move.fence WHERE schema_name = %s", [schema_name])


def fence(conn: psycopg.Connection, schema_name: str, move_id: int) -> None:
    conn.execute(
        "INSERT INTO _move.fence (schema_name, move_id) VALUES (%s, %s) ON CONFLICT (schema_name) DO NOTHING",
        [schema_name, move_id],
    )


def is_fenced(conn: psycopg.Connection, schema_name: str) -> bool:
    if not value(conn, "SELECT to_regclass('_move.fence')"):
        return False
    return value(conn, "SELECT EXISTS (SELECT FROM _move.fence WHERE schema_name = %s)", [schema_name])


def pending(conn: psycopg.Connection, schema_name: str, limit: int) -> list[tuple[int, str, str]]:
    """Captured changes visible to the connection's snapshot, oldest first: (id, table, pk)."""
    return conn.execute(
        "SELECT id, table_name, pk FROM _move.changes WHERE schema_name = %s ORDER BY id LIMIT %s",
        [schema_name, limit],
    ).fetchall()


def backlog(conn: psycopg.Connection, schema_name: str) -> int:
    return value(conn, "SELECT count(*) FROM _move.changes WHERE schema_name = %s", [schema_name])
