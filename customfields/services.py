"""Custom fields: the definitions (written by tenant admins) and `validate_custom_values`, the one rule every service
that writes an item, partner or order applies to its custom values. Imports no business app."""

from __future__ import annotations

import datetime
import re
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation

from django.apps import apps
from django.db import connection, transaction

from audit.services import audit_record, changes_since, snapshot
from core.errors import DomainError
from core.numbers import plain_decimal_error
from core.users import User
from customfields.models import TEXT_MAX_LENGTH, CustomField
from customfields.registry import ENTITIES, entity_store

FILTER_PREFIX = "cf_"
"""Query parameters (`?cf_colour=red`), form fields and CSV columns carry a custom field's key after this prefix."""

_INTEGER_DIGITS = 14
_DECIMAL_PLACES = 6
_YES = {"true", "yes", "y", "1", "on"}
_NO = {"false", "no", "n", "0", "off"}


class CustomFieldsInvalid(DomainError):
    """One or more custom values were refused; `errors` says why, by key."""

    def __init__(self, errors: Mapping[str, str], *, field: str = "custom_fields") -> None:
        self.errors = dict(errors)
        super().__init__("; ".join(f"{key}: {message}" for key, message in self.errors.items()), field=field)


def definitions(entity: str) -> list[CustomField]:
    """The entity's definitions in form order (one query)."""
    return list(CustomField.objects.filter(entity=entity).order_by("position", "key"))


def _number(value: object) -> str:
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal | str):
        raise ValueError("must be a number")
    text = value.strip() if isinstance(value, str) else str(value)
    if isinstance(value, str) and (problem := plain_decimal_error(text)):
        raise ValueError(problem)
    try:
        number = Decimal(text)
    except InvalidOperation:
        raise ValueError("must be a number") from None
    if not number.is_finite():
        raise ValueError("must be a number")
    whole, _, places = f"{abs(number):f}".partition(".")
    if len(whole.lstrip("0")) > _INTEGER_DIGITS or len(places.rstrip("0")) > _DECIMAL_PLACES:
        raise ValueError(f"has too many digits: at most {_INTEGER_DIGITS} before the point and {_DECIMAL_PLACES} after")
    if number == 0:
        return "0"
    return f"{number.normalize():f}"  # one spelling per number: "12.50" and "12.5" are stored (and found) as "12.5"


def _clean_one(definition: CustomField, value: object) -> object:
    """`value` as stored: text, a canonical decimal string, an ISO date, one of the choices, or a bool."""
    kind = definition.field_type
    if kind == CustomField.Type.TEXT:
        if not isinstance(value, str):
            raise ValueError("must be text")
        if "\x00" in value:
            raise ValueError("contains a NUL character, which cannot be stored")
        limit = min(definition.max_length, TEXT_MAX_LENGTH)
        if len(value) > limit:
            raise ValueError(f"is {len(value)} characters long; at most {limit}")
        return value
    if kind == CustomField.Type.NUMBER:
        text = _number(value)
        number = Decimal(text)
        if definition.min_value is not None and number < definition.min_value:
            raise ValueError(f"must be at least {definition.min_value.normalize():f}")
        if definition.max_value is not None and number > definition.max_value:
            raise ValueError(f"must be at most {definition.max_value.normalize():f}")
        return text
    if kind == CustomField.Type.DATE:
        if isinstance(value, datetime.datetime):
            raise ValueError("must be a date (YYYY-MM-DD), not a date and time")
        if isinstance(value, datetime.date):
            return value.isoformat()
        if not isinstance(value, str) or not re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", value.strip(), re.ASCII):
            raise ValueError("must be a date written YYYY-MM-DD, e.g. 2026-12-31")
        try:
            return datetime.date.fromisoformat(value.strip()).isoformat()
        except ValueError:
            raise ValueError(f"{value.strip()} is not a date in the calendar") from None
    if kind == CustomField.Type.CHOICE:
        if not isinstance(value, str) or value not in definition.choices:
            raise ValueError(f"must be one of: {', '.join(map(str, definition.choices))}")
        return value
    if kind == CustomField.Type.YES_NO:
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.strip().lower() in _YES | _NO:
            return value.strip().lower() in _YES
        raise ValueError("must be yes or no (true or false)")
    raise ValueError(f"has an unknown type {kind}")


def _blank(value: object) -> bool:
    return value is None or (isinstance(value, str) and value.strip() == "")


def validate_custom_values(
    entity: str, values: object, *, fields: list[CustomField] | None = None, field: str = "custom_fields"
) -> dict[str, object]:
    """`values` ({key: value}, the record's whole set) cleaned for storage, or `CustomFieldsInvalid` naming each
    refused key: keys the tenant has not defined for `entity` are refused, required fields must have a value, and
    each value is coerced to its type (number: a decimal string, date: ISO, choice: one of the choices, yes/no: a
    bool). A blank or null value means "no value" and is left out."""
    if not isinstance(values, Mapping):
        raise DomainError('custom fields are a JSON object of keys and values, e.g. {"colour": "red"}', field=field)
    defined = {d.key: d for d in (fields if fields is not None else definitions(entity))}
    errors: dict[str, str] = {}
    cleaned: dict[str, object] = {}
    for key, value in values.items():
        definition = defined.get(key)
        if definition is None:
            known = ", ".join(sorted(defined)) or "none yet"
            errors[str(key)] = f"is not a custom field of {ENTITIES[entity].lower()}s (defined: {known})"
            continue
        if _blank(value):
            continue
        try:
            cleaned[key] = _clean_one(definition, value.strip() if isinstance(value, str) else value)
        except ValueError as exc:
            errors[key] = f"{definition.label} {exc}"
    for key, definition in defined.items():
        if definition.required and key not in cleaned and key not in errors:
            errors[key] = f"{definition.label} is required"
    if errors:
        raise CustomFieldsInvalid(errors, field=field)
    return cleaned


def merged_custom_values(current: Mapping[str, object] | None, changes: object) -> object:
    """The record's custom values after a partial change: keys given are set, a null (or blank) removes one, keys
    not given keep their value. Anything but a mapping is returned as is for `validate_custom_values` to refuse."""
    if not isinstance(changes, Mapping):
        return changes
    return {**(current or {}), **changes}


def replacing_custom_values(current: Mapping[str, object] | None, new: object) -> object:
    """The change that makes a record's values exactly `new` (a whole object, as the admin's JSON box holds it): the
    keys `new` leaves out are removed (null), since a write otherwise keeps the keys it does not give."""
    if not isinstance(new, Mapping):
        return new
    return {**dict.fromkeys(current or {}), **new}


def custom_value_filter(entity: str, params: Mapping[str, str]) -> dict[str, object]:
    """{key: stored value} from `?cf_<key>=value` parameters, for a JSONB containment filter (`column @> {...}`,
    which the GIN jsonb_path_ops index serves). A key the tenant has not defined, or a value its type refuses, is a
    `DomainError` on `cf_<key>`."""
    asked = {name[len(FILTER_PREFIX) :]: value for name, value in params.items() if name.startswith(FILTER_PREFIX)}
    if not asked:
        return {}
    defined = {d.key: d for d in definitions(entity)}
    lookup: dict[str, object] = {}
    for key, value in asked.items():
        definition = defined.get(key)
        if definition is None:
            raise DomainError(f"{key} is not a custom field of {ENTITIES[entity].lower()}s", field=FILTER_PREFIX + key)
        if _blank(value):
            continue
        try:
            lookup[key] = _clean_one(definition, value.strip())
        except ValueError as exc:
            raise DomainError(f"{definition.label} {exc}", field=FILTER_PREFIX + key) from None
    return lookup


# --- Definitions ---------------------------------------------------------------------------------------------------

_FIXED = {"entity", "key", "field_type"}
_CHANGEABLE = {"label", "required", "choices", "max_length", "min_value", "max_value", "help_text", "position"}
_CHANGEABLE |= {"show_in_list"}


def _check_definition(definition: CustomField) -> None:
    if definition.field_type == CustomField.Type.CHOICE:
        choices = definition.choices
        if (
            not isinstance(choices, list)
            or not choices
            or not all(isinstance(c, str) and c.strip() and c == c.strip() and len(c) <= 100 for c in choices)
        ):
            raise DomainError(
                "a choice field needs a list of choices (text, at most 100 characters each)", field="choices"
            )
        if len(set(choices)) != len(choices):
            raise DomainError("the choices must differ from each other", field="choices")
    elif definition.choices:
        raise DomainError("only a choice field has choices", field="choices")
    if definition.max_length > TEXT_MAX_LENGTH:
        raise DomainError(f"text is at most {TEXT_MAX_LENGTH} characters", field="max_length")
    if (
        definition.min_value is not None
        and definition.max_value is not None
        and definition.min_value > definition.max_value
    ):
        raise DomainError("the minimum is above the maximum", field="min_value")


def custom_field_create(*, entity: str, key: str, label: str, user: User, **fields: object) -> CustomField:
    """A new custom field of `entity`; its key and type are fixed from now on (values are stored under the key)."""
    unknown = set(fields) - _CHANGEABLE - {"field_type"}
    if unknown:
        raise TypeError(f"cannot set {', '.join(sorted(unknown))} on a custom field")
    if entity not in ENTITIES:
        raise DomainError(f"{entity} is not an entity with custom fields", field="entity")
    definition = CustomField(entity=entity, key=key.strip() if isinstance(key, str) else key, label=label, **fields)
    with transaction.atomic():
        definition.full_clean()
        _check_definition(definition)
        definition.save()
        changes = changes_since(definition, dict.fromkeys(_FIXED | _CHANGEABLE))
        audit_record(user=user, action="customfields.custom_field_create", obj=definition, changes=changes)
    return definition


def custom_field_update(*, custom_field: CustomField, user: User, **fields: object) -> CustomField:
    """Change a definition's label, rules and place. Values already stored are checked when their record is next
    written (a new required field, or a choice taken away, asks for a value then)."""
    fixed = set(fields) & _FIXED
    if fixed:
        name = sorted(fixed)[0]
        if fields[name] != getattr(custom_field, name):
            raise DomainError(
                f"the {name.replace('field_', '')} of a custom field cannot change (values are stored under it); "
                "create another field instead",
                field=name,
            )
    unknown = set(fields) - _CHANGEABLE - _FIXED
    if unknown:
        raise TypeError(f"cannot set {', '.join(sorted(unknown))} on a custom field")
    changeable = {name: value for name, value in fields.items() if name in _CHANGEABLE}
    before = snapshot(custom_field, changeable)
    for name, value in changeable.items():
        setattr(custom_field, name, value)
    with transaction.atomic():
        custom_field.full_clean()
        _check_definition(custom_field)
        custom_field.save()
        changes = changes_since(custom_field, before)
        if changes:
            audit_record(user=user, action="customfields.custom_field_update", obj=custom_field, changes=changes)
    return custom_field


def custom_field_delete(*, custom_field: CustomField, user: User) -> int:
    """Delete a definition and its values from every record of its entity (in one statement); returns how many
    records held a value."""
    store = entity_store(custom_field.entity)
    with transaction.atomic():
        cleared = 0
        if store is not None:
            model = apps.get_model(store.model_label)
            table = connection.ops.quote_name(model._meta.db_table)
            column = connection.ops.quote_name(model._meta.get_field(store.column).column)
            with connection.cursor() as cursor:
                cursor.execute(
                    f"UPDATE {table} SET {column} = {column} - %s WHERE {column} ? %s",
                    [custom_field.key, custom_field.key],
                )
                cleared = cursor.rowcount
        created = changes_since(custom_field, dict.fromkeys(_FIXED | _CHANGEABLE))
        changes: dict[str, object] = {name: [pair[1], None] for name, pair in created.items()}
        changes["values_removed"] = [cleared, None]
        audit_record(user=user, action="customfields.custom_field_delete", obj=custom_field, changes=changes)
        custom_field.delete()
    return cleared
