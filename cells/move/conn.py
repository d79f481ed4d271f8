"""Direct psycopg sessions to a cell's database, for the mover: copies stream between two servers, so they do not go
through Django's connection (which serves the control plane and the tenant routing of this process)."""

from __future__ import annotations

from typing import Any

import psycopg
from django.conf import settings
from django.db import connection

from cells.config import DEFAULT_CELL, database_settings
from cells.move.errors import MoveError
from cells.routing import cell_names


def cell_settings(cell: str) -> dict[str, Any]:
    """Django-style settings (NAME, HOST, ...) of a cell's database."""
    if cell == DEFAULT_CELL:
        return dict(connection.settings_dict)  # the live dict: a test database's name, not the configured one
    spec = settings.CELLS.get(cell)
    if spec is None:
        raise MoveError(f"unknown cell {cell!r}: configured cells are {', '.join(cell_names())}")
    return database_settings(spec, dict(connection.settings_dict))


def conninfo(cell: str) -> dict[str, str]:
    db = cell_settings(cell)
    info = {"dbname": db["NAME"], "host": db.get("HOST") or "", "port": str(db.get("PORT") or ""),
            "user": db.get("USER") or "", "password": db.get("PASSWORD") or ""}  # fmt: skip
    return {key: value for key, value in info.items() if value}


def connect(cell: str, *, autocommit: bool = True, application: str = "tenant_move") -> psycopg.Connection:
    """A session to the cell's database with the text settings fixed, so row text (checksums) reads the same on
    both sides whatever each server's defaults."""
    dsn = psycopg.conninfo.make_conninfo(**conninfo(cell), application_name=application, connect_timeout=10)
    conn = psycopg.connect(dsn, autocommit=autocommit)
    conn.execute("SET TimeZone = 'UTC'; SET DateStyle = 'ISO, YMD'; SET IntervalStyle = 'postgres';"
                 " SET extra_float_digits = 1; SET statement_timeout = 0")  # fmt: skip
    if not autocommit:
        conn.commit()
    return conn


def value(conn: psycopg.Connection, query: Any, params: Any = None) -> Any:
    """The first column of the first row a query returns (queries that always return one)."""
    row = conn.execute(query, params).fetchone()
    if row is None:
        raise MoveError(f"no row from {query!r}")
    return row[0]


def same_database(a: str, b: str) -> bool:
    x, y = conninfo(a), conninfo(b)
    return all(x.get(key) == y.get(key) for key in ("dbname", "host", "port"))
