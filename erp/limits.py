"""Lines per document: at most DOCUMENT_MAX_LINES, refused before any line is looked at.

The rule lives in the services (`capped_lines`), so the API, the UI, admin and tasks all obey it. The API also
checks it first thing in the serializer (`DocumentLinesSerializer`), before validating the request body line by
line, and loads the rows the lines refer to (items, components) in one query per field instead of one per line.
"""

from __future__ import annotations

import contextlib
import itertools
from collections.abc import Iterable, Iterator, Mapping

from django.conf import settings
from django.db.models import Manager, QuerySet
from rest_framework import serializers

from erp.errors import DomainError

DEFAULT_DOCUMENT_MAX_LINES = 1000


class TooManyLines(DomainError):
    pass


def max_document_lines() -> int:
    return int(getattr(settings, "DOCUMENT_MAX_LINES", DEFAULT_DOCUMENT_MAX_LINES))


def too_many_lines_message(count: int | None) -> str:
    limit = max_document_lines()
    sent = f"{count:,} sent" if count is not None else f"more than {limit:,} sent"
    return f"at most {limit:,} lines in one document ({sent}); split it into several"


def capped_lines[T](lines: Iterable[T]) -> list[T]:
    """`lines` as a list, refused with a field error on `lines` past DOCUMENT_MAX_LINES.

    Reads at most one line past the cap, so an endless or huge iterable costs no more than the cap.
    """
    limit = max_document_lines()
    count = len(lines) if isinstance(lines, list | tuple) else None
    taken = list(lines) if count is not None and count <= limit else list(itertools.islice(lines, limit + 1))
    if len(taken) > limit:
        raise TooManyLines(too_many_lines_message(count), field="lines")
    return taken


class _Preloaded:
    """Stands in for a related field's queryset while one list is validated: `get(pk=...)` answers from one query
    made up front for every key the list names, and refuses a value exactly as the ORM would (same conversion)."""

    def __init__(self, queryset: QuerySet, values: Iterable[object]) -> None:
        self._queryset = queryset
        self._pk = queryset.model._meta.pk
        keys = set()
        for value in values:
            if value is None or isinstance(value, bool | list | dict):
                continue
            with contextlib.suppress(TypeError, ValueError, OverflowError):
                keys.add(self._pk.get_prep_value(value))
        self._objects = {obj.pk: obj for obj in queryset.filter(pk__in=keys)} if keys else {}

    def all(self) -> _Preloaded:
        return self

    def get(self, **lookup: object) -> object:
        if set(lookup) != {"pk"}:
            return self._queryset.get(**lookup)
        try:
            return self._objects[self._pk.get_prep_value(lookup["pk"])]
        except KeyError:
            raise self._queryset.model.DoesNotExist(f"no {self._queryset.model.__name__} {lookup['pk']!r}") from None

    def __getattr__(self, name: str) -> object:  # anything else a field may ask: the real queryset, uncached
        return getattr(self._queryset, name)


@contextlib.contextmanager
def _preloaded_relations(child: serializers.Serializer, data: list) -> Iterator[None]:
    fields = [
        field
        for field in child.fields.values()
        if isinstance(field, serializers.PrimaryKeyRelatedField)
        and not field.read_only
        and isinstance(field.queryset, QuerySet | Manager)
    ]
    swapped = []
    try:
        for field in fields:
            values = [entry.get(field.field_name) for entry in data if isinstance(entry, Mapping)]
            queryset = field.queryset.all() if isinstance(field.queryset, Manager) else field.queryset
            swapped.append((field, field.queryset))
            field.queryset = _Preloaded(queryset, values)
        yield
    finally:
        for field, queryset in swapped:
            field.queryset = queryset


class DocumentLinesSerializer(serializers.ListSerializer):
    """The `lines` of a document: more than DOCUMENT_MAX_LINES is a 400 on `lines` before any line is validated;
    the rows the lines refer to by primary key are loaded in one query per field for the whole list."""

    def to_internal_value(self, data: object) -> list:
        if isinstance(data, list) and len(data) > max_document_lines():
            raise serializers.ValidationError([too_many_lines_message(len(data))])
        if not isinstance(data, list):
            return super().to_internal_value(data)
        with _preloaded_relations(self.child, data):
            return super().to_internal_value(data)
