"""DRF fields that read numbers and ids the way `core.numbers` says: plain ASCII digits, no sign, no exponent.

DRF's own fields parse with `int()` / `Decimal()`: "١٢" is 12, "1e3" is 1000, and a JSON 1.5 given for an id is
truncated to 1 by the primary-key lookup. Serializers of the domain apps use these instead (`PlainModelSerializer`
maps model fields to them); `tests/security/test_api_numbers.py` fails if a writable field of the API is not one.
"""

from __future__ import annotations

import contextlib
import copy
import datetime
import decimal
from collections.abc import Callable, Hashable, Iterable, Iterator, Mapping
from typing import Any

from django.db import models
from django.db.models import Manager, QuerySet
from django.db.models.query import ModelIterable
from rest_framework import ISO_8601, serializers
from rest_framework.fields import SkipField
from rest_framework.relations import PKOnlyObject
from rest_framework.routers import SimpleRouter
from rest_framework.settings import api_settings

from core import prepared
from core.limits import max_document_lines, too_many_lines_message
from core.numbers import is_plain_id, plain_decimal_error, plain_number_error


def _as_text(data: object) -> str:
    return data.strip() if isinstance(data, str) else str(data)


class PlainDecimalField(serializers.DecimalField):
    """A decimal written in digits 0-9 (a JSON number or a string), never negative.

    An empty string is refused, even where null is allowed: DRF reads "" as null there, and `{"quantity": ""}`
    on a work order's completion meant "all that is left". Leave the field out (or send null) for the default."""

    def validate_empty_values(self, data: object):
        if isinstance(data, str) and not data.strip():
            raise serializers.ValidationError("A number is required here; leave the field out for its default.")
        return super().validate_empty_values(data)

    def to_internal_value(self, data: object):
        if isinstance(data, bool):
            self.fail("invalid")
        problem = plain_decimal_error(_as_text(data))
        if problem:
            raise serializers.ValidationError(f"{_as_text(data)!r} {problem}.", code="invalid")
        return super().to_internal_value(data)


class PlainIntegerField(serializers.IntegerField):
    """A whole number written in digits 0-9 (a JSON integer or a string), never negative."""

    def to_internal_value(self, data: object):
        if isinstance(data, (bool, float)):
            raise serializers.ValidationError("A whole number is required, e.g. 12.", code="invalid")
        problem = plain_number_error(_as_text(data), whole=True)
        if problem:
            raise serializers.ValidationError(f"{_as_text(data)!r} {problem}.", code="invalid")
        return super().to_internal_value(data)


class PlainPrimaryKeyRelatedField(serializers.PrimaryKeyRelatedField):
    """An object by its id: a JSON integer or a string of digits 0-9; 1.5, "1.5" or "١٢" are refused, not rounded.

    When the field's queryset is every row of its model (`Item.objects.all()`), the row is read by a prepared
    statement (core.prepared): compiling `queryset.get(pk=...)` costs more than the database spends answering it."""

    def to_internal_value(self, data: object):
        if not is_plain_id(data):
            raise serializers.ValidationError(
                f"An id is a whole number in digits 0-9, not {data!r}.", code="incorrect_type"
            )
        queryset = self.queryset
        if self.pk_field is not None or not isinstance(queryset, QuerySet) or not _every_row(queryset):
            return super().to_internal_value(data)
        pk = int(str(data).strip())
        model = queryset.model
        key = ("api.pk", model._meta.label, _joined_shape(queryset.query.select_related))
        found = prepared.by_id(key, lambda pk: queryset.filter(pk=pk), pk)
        if not found:  # DRF's words
            self.fail("does_not_exist", pk_value=data)
        return found[0]


def _joined_shape(select_related: bool | dict) -> Hashable:
    """`query.select_related` (False, True or a tree of dicts) as a hashable value."""
    if isinstance(select_related, dict):
        return tuple(sorted((name, _joined_shape(tree)) for name, tree in select_related.items()))
    return select_related


def _every_row(queryset: QuerySet) -> bool:
    """Whether `queryset` is all of its model's rows, whole (with what `select_related` joins): no filter,
    annotation, deferral, slice or prefetch. Then `get(pk=...)` is the row of that id, whatever manager made it, and
    the model and the joins name the statement."""
    query = queryset.query
    return (
        not query.where
        and not query.annotations
        and not query.extra
        and not query.distinct
        and query.deferred_loading == (frozenset(), True)
        and query.low_mark == 0
        and query.high_mark is None
        and not queryset._prefetch_related_lookups  # type: ignore[attr-defined]
        and queryset._iterable_class is ModelIterable  # type: ignore[attr-defined]
    )


class PlainModelSerializer(serializers.ModelSerializer):
    """A ModelSerializer whose generated number and relation fields are the plain ones above."""

    serializer_field_mapping = {
        **serializers.ModelSerializer.serializer_field_mapping,
        models.DecimalField: PlainDecimalField,
        models.IntegerField: PlainIntegerField,
        models.BigIntegerField: PlainIntegerField,
        models.SmallIntegerField: PlainIntegerField,
        models.PositiveIntegerField: PlainIntegerField,
        models.PositiveBigIntegerField: PlainIntegerField,
        models.PositiveSmallIntegerField: PlainIntegerField,
    }
    serializer_related_field = PlainPrimaryKeyRelatedField

    # --- The read path: what DRF does per row, with less looking up (the API answers the same bytes) -----------------
    _prototype_fields: dict[type, dict[str, serializers.Field]] = {}

    def get_fields(self) -> dict[str, serializers.Field]:
        """The fields DRF builds from the model, built once per serializer class and copied for each instance (as
        DRF copies declared fields): building them reads the model's metadata and validators on every request.

        A plain field holds nothing that binding or a request changes, so a shallow copy serves (DRF's deep copy
        builds it again from its arguments); nested serializers and fields that hold other fields are deep-copied."""
        cls = type(self)
        prototype = PlainModelSerializer._prototype_fields.get(cls)
        if prototype is None:
            prototype = PlainModelSerializer._prototype_fields[cls] = super().get_fields()
        return {
            name: copy.copy(field) if _shallow_copy_serves(field) else copy.deepcopy(field)
            for name, field in prototype.items()
        }

    def to_representation(self, instance: models.Model) -> dict:
        """DRF's `Serializer.to_representation`, with a model's own column values read straight off the instance:
        DRF's generic lookup (callables, mappings, dotted sources, defaults) cannot apply to them."""
        plan = self.__dict__.get("_read_plan")
        if plan is None:
            plan = self.__dict__["_read_plan"] = self._make_read_plan()
        ret = {}
        for name, column, field, represent in plan:
            if field is None:  # a foreign key's id: DRF answers the `<name>_id` column's value as it is
                ret[name] = getattr(instance, column)  # type: ignore[arg-type]
                continue
            if column is not None:
                attribute = check_for_none = getattr(instance, column)
            else:
                try:
                    attribute = field.get_attribute(instance)
                except SkipField:
                    continue
                check_for_none = attribute.pk if isinstance(attribute, PKOnlyObject) else attribute
            ret[name] = None if check_for_none is None else represent(attribute)  # type: ignore[misc]
        return ret

    def _make_read_plan(self) -> list[_ReadStep]:
        """(output name, column attribute or None for DRF's lookup, field or None for a foreign key's id taken as
        it is, the field's `representation()`) per readable field. Made once per serializer instance, within the request
        it answers."""
        meta = getattr(self, "Meta", None)
        model = getattr(meta, "model", None)
        concrete = model._meta.concrete_fields if model is not None else ()
        columns = {f.name for f in concrete if not f.is_relation}
        foreign_keys = {f.name: f.attname for f in concrete if f.many_to_one}
        plan: list[_ReadStep] = []
        for field in self._readable_fields:
            name = str(field.field_name)
            single = field.source_attrs[0] if len(field.source_attrs) == 1 else None
            if type(field) in _COLUMN_FIELDS and single in columns:
                plan.append((name, single, field, representation(field)))
            elif type(field) in _ID_FIELDS and getattr(field, "pk_field", None) is None and single in foreign_keys:
                # DRF: PKOnlyObject(instance.serializable_value(name)) -> its pk, i.e. the `<name>_id` column.
                plan.append((name, foreign_keys[single], None, None))
            else:
                plan.append((name, None, field, representation(field)))
        return plan


_ReadStep = tuple[str, str | None, serializers.Field | None, Callable[[Any], Any] | None]


def representation(field: serializers.Field) -> Callable[[Any], Any]:
    """`field.to_representation`, or a function that answers the same with the per-value lookups DRF repeats for
    every row done once: a decimal's quantum and context, a date's or datetime's output format and time zone. Made
    within the request it serves (its time zone is the request's)."""
    if type(field) in (serializers.DecimalField, PlainDecimalField):
        return _decimal_representation(field)  # type: ignore[arg-type]
    if type(field) is serializers.DateTimeField:
        return _datetime_representation(field)
    if type(field) is serializers.DateField:
        return _date_representation(field)
    return field.to_representation


def _date_representation(field: serializers.DateField) -> Callable[[Any], Any]:
    output_format = getattr(field, "format", api_settings.DATE_FORMAT)
    if output_format is None or output_format.lower() != ISO_8601:
        return field.to_representation

    def represent(value: Any) -> Any:
        return value.isoformat() if type(value) is datetime.date else field.to_representation(value)

    return represent


def _decimal_representation(field: serializers.DecimalField) -> Callable[[Any], Any]:
    coerce_to_string = getattr(field, "coerce_to_string", api_settings.COERCE_DECIMAL_TO_STRING)
    if field.decimal_places is None or not coerce_to_string or field.localize or field.normalize_output:
        return field.to_representation
    # DRF's quantize(), its arguments made once: the quantum, and a copy of the context with the field's precision.
    quantum = decimal.Decimal(".1") ** field.decimal_places
    context = decimal.getcontext().copy()
    if field.max_digits is not None:
        context.prec = field.max_digits
    rounding = field.rounding

    def represent(value: Any) -> Any:
        if type(value) is not decimal.Decimal:
            return field.to_representation(value)
        return f"{value.quantize(quantum, rounding=rounding, context=context):f}"

    return represent


def _datetime_representation(field: serializers.DateTimeField) -> Callable[[Any], Any]:
    output_format = getattr(field, "format", api_settings.DATETIME_FORMAT)
    if output_format is None or output_format.lower() != ISO_8601 or hasattr(field, "timezone"):
        return field.to_representation
    field_timezone = field.default_timezone()
    if field_timezone is None:
        return field.to_representation

    def represent(value: Any) -> Any:
        # An aware datetime (the ORM's, under USE_TZ) in the request's time zone, ISO 8601 with "Z" for UTC, as
        # DRF writes it; anything else (naive, text, out of range) takes DRF's own path and its answer or error.
        if type(value) is not datetime.datetime or value.utcoffset() is None:
            return field.to_representation(value)
        try:
            text = value.astimezone(field_timezone).isoformat()
        except OverflowError:
            return field.to_representation(value)
        return text[:-6] + "Z" if text.endswith("+00:00") else text

    return represent


class _JoinedColumn:
    """Reads a related row's column from the annotation `annotation` when the queryset made one (e.g.
    `.annotate(item_sku=F("item__sku"))`: no related instance is built for each row), else as DRF reads it."""

    def __init__(self, *, annotation: str, **kwargs: Any) -> None:
        self.annotation = annotation
        super().__init__(read_only=True, **kwargs)  # type: ignore[call-arg]

    def get_attribute(self, instance: Any) -> Any:
        try:
            return instance.__dict__[self.annotation]
        except KeyError:
            return super().get_attribute(instance)  # type: ignore[misc]


class JoinedColumnField(_JoinedColumn, serializers.CharField):
    """A related row's text column, read-only (`source="item.sku"`, `annotation="item_sku"`)."""


class JoinedSlugField(_JoinedColumn, serializers.SlugRelatedField):
    """DRF's read-only SlugRelatedField (`source="created_by"`, `slug_field="username"`), the slug read off the
    annotation (`created_by_username`) when the queryset made it."""

    def to_representation(self, value: Any) -> Any:
        return value if isinstance(value, str) else super().to_representation(value)


# Fields whose value is the column's value as the instance holds it (DRF's get_attribute would read the same).
_COLUMN_FIELDS = frozenset(
    {
        serializers.CharField,
        serializers.IntegerField,
        serializers.BigIntegerField,
        serializers.DecimalField,
        serializers.BooleanField,
        serializers.DateTimeField,
        serializers.DateField,
        serializers.ChoiceField,
        serializers.JSONField,
        serializers.EmailField,
        serializers.ReadOnlyField,
        PlainDecimalField,
        PlainIntegerField,
    }
)


# Relations that answer the related row's primary key (the foreign key's column) when they have no `pk_field`.
_ID_FIELDS = frozenset({serializers.PrimaryKeyRelatedField, PlainPrimaryKeyRelatedField})

# Fields whose instances keep no other field and nothing a request changes: copy.copy of one is as good as a new one.
_SHALLOW_COPY_FIELDS = _COLUMN_FIELDS | {
    serializers.FloatField,
    serializers.TimeField,
    serializers.UUIDField,
    serializers.SlugField,
    serializers.URLField,
    serializers.ReadOnlyField,
    serializers.SerializerMethodField,
    serializers.PrimaryKeyRelatedField,
    serializers.SlugRelatedField,
    PlainPrimaryKeyRelatedField,
    JoinedColumnField,
    JoinedSlugField,
}


def _shallow_copy_serves(field: serializers.Field) -> bool:
    # A mutable default is handed out as is (DRF returns `field.default`): each instance gets its own, deep-copied.
    return type(field) in _SHALLOW_COPY_FIELDS and not isinstance(field.default, list | dict | set)


class IdRouter(SimpleRouter):
    """Detail URLs take ids of digits 0-9 only (DRF's default lookup takes any text, and "١٢" found object 12)."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._default_value_pattern = "[0-9]+"


# --- Document lines (core.limits): the cap checked first, related rows loaded once ---------------------------------
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
