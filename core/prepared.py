"""Reads whose SQL the ORM writes once per process: a hot page's fixed-shape queries run as their cached statement.

Turning a QuerySet into SQL costs more CPU than PostgreSQL spends answering a small aggregate or a page of rows
(0.5-1.5 ms of Python for a filter over a join, against well under a millisecond in the database). A query whose
shape never changes, only its parameters (today's date, an item's id), is compiled on its first use under a key that
names the shape, and later calls send the same statement with their own parameters. The SQL names no schema (the
request's search path picks the tenant's tables), so one entry serves every tenant of the process.

- `rows(key, build, *args)`: the rows of a `values_list()` queryset of plain values (numbers, text, dates), as
  psycopg returns them, without the ORM's converters, which for such columns change nothing.
- `objects(key, build, *args)`: the model instances of a queryset (with its `select_related` and annotations), built
  by Django's own iterable from the statement's rows, converters and all.
- `count(key, build, *args)`: what `build(*args).count()` answers.

`args` are ints, strings or aware datetimes. `build` is called once per key with markers in their place (never
with the caller's values), and each marker must reach the SQL as one parameter: that is how the statement knows where
each argument goes. So a key names every input of the SQL *other* than `args` (a slice of rows, a time zone).
An argument is sent as it is, as Django sends an int, a string or an aware datetime to PostgreSQL.
"""

from __future__ import annotations

import contextlib
import copy
import datetime
import functools
import weakref
from collections.abc import Callable, Hashable
from typing import Any

from django.db import connections, router
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import Model, QuerySet
from django.db.models.base import ModelState
from django.db.models.fields.related_descriptors import ForeignKeyDeferredAttribute
from django.db.models.query import ModelIterable, RelatedPopulator, get_related_populators
from django.db.models.query_utils import DeferredAttribute
from django.db.models.signals import post_init, pre_init
from django.db.models.sql.compiler import SQLCompiler

_MAX_ENTRIES = 512  # keys may carry a date or a page: a long-running process drops all entries at once, then refills
BIGINT_MAX = 2**63 - 1  # the largest id a bigint column holds


class _Statement:
    __slots__ = ("converters", "instances", "model", "params", "queryset", "slots", "sql")

    def __init__(self, model: type[Model], sql: str, params: tuple[Any, ...], slots: tuple[tuple[int, int], ...]):
        self.model, self.sql, self.params, self.slots = model, sql, params, slots
        self.instances: _Instances | None = None  # objects(): how a row becomes an instance without Model.__init__
        self.queryset: QuerySet | None = None  # objects(): the compiled queryset, its compiler kept on it
        # objects(): per connection, the columns read and the converters Django works out for them (see _run)
        self.converters: weakref.WeakKeyDictionary[BaseDatabaseWrapper, tuple[list[Any], dict]] = (
            weakref.WeakKeyDictionary()
        )

    def params_for(self, args: tuple[Any, ...]) -> tuple[Any, ...]:
        if not self.slots:
            return self.params
        params = list(self.params)
        for position, index in self.slots:
            params[position] = args[index]
        return tuple(params)


_statements: dict[Hashable, _Statement] = {}


def _markers(args: tuple[Any, ...]) -> tuple[Any, ...]:
    """A stand-in per argument, of its type, that no query of ours holds as a constant (in range for an int column:
    Django answers an out-of-range id with no query at all)."""
    markers: list[Any] = []
    for index, arg in enumerate(args):
        if type(arg) is int:
            markers.append(2_061_283_000 + index)
        elif type(arg) is str:
            markers.append(f"\x1fprepared-marker-{index}\x1f")
        elif type(arg) is datetime.datetime and arg.tzinfo is not None:
            markers.append(datetime.datetime(2061, 2, 8, 3, 0, index, 283, tzinfo=datetime.UTC))
        else:
            raise TypeError(f"prepared reads take ints, strings and aware datetimes, not {type(arg).__name__}")
    return tuple(markers)


def _slots(key: Hashable, params: tuple[Any, ...], markers: tuple[Any, ...]) -> tuple[tuple[int, int], ...]:
    slots = []
    for index, marker in enumerate(markers):
        found = [position for position, param in enumerate(params) if type(param) is type(marker) and param == marker]
        if len(found) != 1:
            raise ValueError(f"prepared read {key!r}: argument {index} reaches the SQL {len(found)} times, not once")
        slots.append((found[0], index))
    return tuple(slots)


def _remember(key: Hashable, statement: _Statement) -> _Statement:
    if len(_statements) >= _MAX_ENTRIES:
        _statements.clear()
    _statements[key] = statement
    return statement


def _execute(statement: _Statement, args: tuple[Any, ...]) -> list[tuple]:
    with connections[router.db_for_read(statement.model)].cursor() as cursor:
        cursor.execute(statement.sql, statement.params_for(args))
        return cursor.fetchall()


def rows(key: Hashable, build: Callable[..., QuerySet], *args: Any) -> list[tuple]:
    """The rows of `build(*args)` (a values_list queryset), compiled once for `key` (which must name every input of
    `build` but `args`, e.g. ("orders.dashboard.lines", today)), read from the database the router reads its model
    from."""
    statement = _statements.get(key)
    if statement is None:
        markers = _markers(args)
        queryset = build(*markers)
        sql, params = queryset.query.sql_with_params()
        params = tuple(params)
        statement = _remember(key, _Statement(queryset.model, sql, params, _slots(key, params, markers)))
    return _execute(statement, args)


def count(key: Hashable, build: Callable[..., QuerySet], *args: Any) -> int:
    """`build(*args).count()`, its SQL (Django's own count query) compiled once for `key`."""
    statement = _statements.get(key)
    if statement is None:
        markers = _markers(args)
        statement = _remember(key, _count_statement(key, build(*markers), markers))
    ((n,),) = _execute(statement, args)
    return n


class _Captured(Exception):
    """Raised in place of running a statement whose SQL was wanted, not its rows."""


def _count_statement(key: Hashable, queryset: QuerySet, markers: tuple[Any, ...]) -> _Statement:
    """The statement `queryset.count()` sends, taken as it is about to be sent (and not sent: the compilation costs
    no query of its own)."""
    sent: list[tuple[str, tuple[Any, ...]]] = []

    def capture(execute, sql, params, many, context):
        sent.append((sql, tuple(params or ())))
        raise _Captured

    connection = connections[router.db_for_read(queryset.model)]
    # A query log (a test's query count) would list the statement as run: it is not, so it is not logged either.
    logging, connection.force_debug_cursor = connection.force_debug_cursor, False
    try:
        with connection.execute_wrapper(capture), contextlib.suppress(_Captured):
            queryset.count()
    finally:
        connection.force_debug_cursor = logging
    if len(sent) != 1:
        raise ValueError(f"prepared count {key!r}: {len(sent)} statements, not one")
    sql, params = sent[0]
    return _Statement(queryset.model, sql, params, _slots(key, params, markers))


def objects[M: Model](key: Hashable, build: Callable[..., QuerySet[M]], *args: Any) -> list[M]:
    """The instances of `build(*args)` (select_related and annotations included; no prefetch_related), compiled once
    for `key` (which must name every input of `build` but `args`, a slice of rows included)."""
    statement = _statements.get(key)
    if statement is None:
        markers = _markers(args)
        queryset = build(*markers)
        if queryset._prefetch_related_lookups or queryset._known_related_objects:  # type: ignore[attr-defined]
            raise ValueError(f"prepared read {key!r}: prefetch_related and related managers are not prepared")
        compiler = queryset.query.get_compiler(using=queryset.db)
        sql, params = compiler.as_sql()  # fills compiler.select, klass_info, annotation_col_map for the rows
        params = tuple(params)
        statement = _Statement(queryset.model, sql, params, _slots(key, params, markers))
        queryset.query.compiled = compiler  # type: ignore[attr-defined]
        statement.queryset = queryset
        statement.instances = _Instances.of(queryset, compiler)
        _remember(key, statement)
    assert statement.queryset is not None
    queryset = _run(statement, statement.params_for(args))
    instances = statement.instances
    if instances is None or pre_init.receivers or post_init.receivers:
        return list(queryset)
    return instances.read(queryset)


def by_id[M: Model](key: Hashable, build: Callable[[int], QuerySet[M]], pk: int) -> list[M]:
    """`objects(key, build, pk)` for the rows of one id; an id past what a bigint column holds names no row, so no
    statement is sent for it (the ORM sends none either)."""
    return objects(key, build, pk) if pk <= BIGINT_MAX else []


class _Instances:
    """The rows of a query made into instances as ModelIterable and Django's select_related populators make them,
    each instance built as `Model.from_db` leaves it but without `Model.__init__`'s work per field: each value goes
    into the instance's `__dict__`, which is where `__init__` puts it for a field whose descriptor is Django's plain
    one. Half of reading a 20-order list went into `__init__` for its 60 instances. Taken only when nothing of a
    model read (the queryset's own or a joined one) can tell the difference: no `__init__` or `from_db` of its own,
    plain descriptors, annotations that name no attribute of the class, and no pre_init or post_init receiver
    (checked on every read)."""

    __slots__ = ("annotations", "end", "fields", "model", "populators", "start")

    def __init__(self, model: type[Model], fields: list[str], start: int, end: int, annotations: list[tuple[str, int]]):
        self.model, self.fields, self.start, self.end, self.annotations = model, fields, start, end, annotations
        self.populators: dict[tuple[str, Any], list[RelatedPopulator]] = {}  # by database alias and fetch mode

    @classmethod
    def of(cls, queryset: QuerySet, compiler: SQLCompiler) -> _Instances | None:
        model, info = queryset.model, compiler.klass_info
        if (
            info is None
            or info["model"] is not model
            or queryset._iterable_class is not ModelIterable  # type: ignore[attr-defined]
            or not _plain_models(info, compiler.select)
        ):
            return None
        selected = info["select_fields"]
        start, end = selected[0], selected[-1] + 1
        fields = [column[0].target.attname for column in compiler.select[start:end]]
        annotations = list((compiler.annotation_col_map or {}).items())
        if any(_class_attribute(model, name) is not None for name, _ in annotations):
            return None
        return cls(model, fields, start, end, annotations)

    def read(self, queryset: QuerySet) -> list[Model]:
        """ModelIterable's loop (the compiler's rows, converters applied, joined rows by Django's populators), each
        instance made by `_instance`."""
        fetch_mode = queryset._fetch_mode  # type: ignore[attr-defined]
        if fetch_mode.track_peers:
            return list(queryset)
        db = queryset.db
        compiler = queryset.query.get_compiler(using=db)
        results = compiler.execute_sql(chunked_fetch=False)
        populators = self.populators.get((db, fetch_mode))
        if populators is None:
            populators = self.populators[(db, fetch_mode)] = _quick_populators(
                get_related_populators(compiler.klass_info, compiler.select, db, fetch_mode), fetch_mode
            )
        model, fields, start, end, annotations = self.model, self.fields, self.start, self.end, self.annotations
        made = []
        for row in compiler.results_iter(results):
            instance = _instance(model, fetch_mode, db, fields, row[start:end])
            for populator in populators:
                populator.populate(row, instance)
            for name, position in annotations:
                instance.__dict__[name] = row[position]
            made.append(instance)
        return made


def _instance(model: type[Model], fetch_mode: Any, db: str, fields: list[str], values: Any) -> Model:
    """`model.from_db(db, fields, values, fetch_mode=fetch_mode)` for a model whose `__init__` only stores each
    value in the instance's `__dict__` (see _Instances)."""
    instance = model.__new__(model)
    attributes = instance.__dict__
    state = attributes["_state"] = ModelState()
    state.adding = False
    state.db = db
    if fetch_mode is not None:
        state.fetch_mode = fetch_mode
    attributes.update(zip(fields, values, strict=True))
    return instance


def _quick_populators(populators: list[RelatedPopulator], fetch_mode: Any) -> list[RelatedPopulator]:
    """Django's select_related populators, each making its instances with `_instance`."""
    for populator in populators:
        populator.from_db = functools.partial(_instance, populator.model_cls, fetch_mode)  # type: ignore[assignment]
        _quick_populators(populator.related_populators, fetch_mode)
    return populators


def _plain_models(info: dict, select: list) -> bool:
    """Whether every model the query makes instances of (its own, and each joined by select_related) builds them as
    `_instance` does: Django's own `__init__` and `from_db`, Django's plain descriptor on every column read."""
    model = info["model"]
    if model.__init__ is not Model.__init__ or model.from_db.__func__ is not Model.from_db.__func__:
        return False
    for index in info["select_fields"]:
        if type(_class_attribute(model, select[index][0].target.attname)) not in _PLAIN_DESCRIPTORS:
            return False
    return all(_plain_models(related, select) for related in info.get("related_klass_infos", []))


def _class_attribute(model: type[Model], name: str) -> object | None:
    for klass in model.__mro__:
        if name in klass.__dict__:
            return klass.__dict__[name]
    return None


_PLAIN_DESCRIPTORS = (DeferredAttribute, ForeignKeyDeferredAttribute)


def _run(statement: _Statement, params: tuple[Any, ...]) -> QuerySet:
    """A copy of the compiled queryset whose compiler sends the statement's SQL with `params` instead of compiling:
    Django's ModelIterable then makes the instances from its rows as for any queryset. The converters of the columns
    (field and backend hooks, asked of every column on every read) are worked out once per connection."""
    template = statement.queryset
    assert template is not None
    queryset = template._chain()  # type: ignore[attr-defined]
    compiled = copy.copy(template.query.compiled)  # type: ignore[attr-defined]
    connection = connections[queryset.db]
    compiled.connection = connection
    compiled.as_sql = lambda *_, **__: (statement.sql, params)
    compiled.get_converters = functools.partial(_converters, statement, compiled, connection)
    queryset.query.get_compiler = lambda *_, **__: compiled
    return queryset


def _converters(statement: _Statement, compiler: SQLCompiler, connection: BaseDatabaseWrapper, columns: list) -> dict:
    """`compiler.get_converters(columns)`, remembered for these very column objects on this connection (the compiled
    query's own, the same on every read; anything else is worked out as Django does)."""
    known = statement.converters.get(connection)
    if (
        known is not None
        and len(known[0]) == len(columns)
        and all(a is b for a, b in zip(known[0], columns, strict=True))
    ):
        return known[1]
    converters = type(compiler).get_converters(compiler, columns)
    if known is None:
        statement.converters[connection] = (list(columns), converters)
    return converters


class Pages[M: Model]:
    """`build(*args)` as Django's Paginator reads it: its count and each page's instances are prepared reads (a
    page's bounds are in its key, since Django writes LIMIT and OFFSET into the SQL)."""

    def __init__(self, key: Hashable, build: Callable[..., QuerySet[M]], *args: Any):
        self.key, self.build, self.args = key, build, args

    def count(self) -> int:
        return count((self.key, "count"), self.build, *self.args)

    def __len__(self) -> int:
        return self.count()

    def __getitem__(self, window: slice) -> list[M]:
        if not isinstance(window, slice) or window.step is not None:
            raise TypeError("prepared pages are read by a slice of rows")
        if window.start == window.stop:  # an empty list's first page: Django's empty slice sends no query either
            return []
        build = self.build
        return objects((self.key, window.start, window.stop), lambda *args: build(*args)[window], *self.args)
