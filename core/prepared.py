"""Reads whose SQL the ORM writes once per process: a hot page's fixed-shape queries run as their cached statement.

Turning a QuerySet into SQL costs more CPU than PostgreSQL spends answering a small aggregate (0.5-1.5 ms of Python
for a conditional aggregate over a join, against well under a millisecond in the database). A query whose shape
never changes, only its parameters (today's date), is compiled on its first use under a key that names everything
the SQL depends on, and later calls send the same statement with its parameters. The SQL names no schema (the
request's search path picks the tenant's tables), so one entry serves every tenant of the process.

Only for `values_list()` querysets of plain values (numbers, text, dates): rows come back as psycopg returns them,
without the ORM's converters, which for such columns (numeric -> Decimal, bigint -> int, date) change nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import Any

from django.db import connections, router
from django.db.models import Model, QuerySet

_MAX_ENTRIES = 256  # keys carry a date: a long-running process drops the old days' entries all at once
_statements: dict[Hashable, tuple[type[Model], str, tuple[Any, ...]]] = {}


def rows(key: Hashable, build: Callable[[], QuerySet]) -> list[tuple]:
    """The rows of `build()` (a values_list queryset), compiled once for `key` (which must name every input of
    `build`, e.g. ("orders.dashboard.lines", today)), read from the database the router reads its model from."""
    statement = _statements.get(key)
    if statement is None:
        queryset = build()
        sql, params = queryset.query.sql_with_params()
        if len(_statements) >= _MAX_ENTRIES:
            _statements.clear()
        statement = _statements[key] = (queryset.model, sql, tuple(params))
    model, sql, params = statement
    with connections[router.db_for_read(model)].cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()
