"""The API's `custom_fields` object: the record's custom-field values by key, validated against the tenant's
definitions before the service is called (which validates again: one rule, `validate_custom_values`)."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from core.errors import DomainError
from customfields.services import CustomFieldsInvalid, merged_custom_values, validate_custom_values

CUSTOM_FIELDS_HELP = (
    "Custom-field values by key, as the tenant's admins defined them for this kind of record (Custom fields in the "
    'admin). Text: a string; number: a decimal string, e.g. "12.5" (a JSON number is accepted and stored as its '
    'string); date: "YYYY-MM-DD"; choice: one of the field\'s choices; yes/no: true or false. Writing changes the '
    "keys given (null removes a value; keys not given keep theirs). A key the tenant has not defined, a required "
    "field without a value, or a value its type refuses is a 400 naming the key: "
    '{"custom_fields": {"colour": ["Colour must be one of: red, blue"]}}. Lists filter with ?cf_<key>=<value> '
    "(exact match on the stored value; a JSONB containment query served by a GIN index)."
)


@extend_schema_field(
    {
        "type": "object",
        "additionalProperties": {"oneOf": [{"type": "string"}, {"type": "boolean"}]},
        "example": {"colour": "red", "weight_kg": "12.5", "certified_on": "2026-11-30", "hazardous": False},
    }
)
class CustomFieldsField(serializers.Field):
    def __init__(self, *, entity: str, **kwargs) -> None:
        self.entity = entity
        kwargs.setdefault("required", False)
        kwargs.setdefault("help_text", CUSTOM_FIELDS_HELP)
        super().__init__(**kwargs)

    def to_representation(self, value: object) -> object:
        return value if isinstance(value, dict) else {}

    def to_internal_value(self, data: object) -> object:
        instance = getattr(self.parent, "instance", None)
        source = self.source or ""
        current = getattr(instance, source, None) if instance is not None and source not in {"", "*"} else None
        check_custom_values(self.entity, merged_custom_values(current, data))
        return data  # the service merges it into the record's values and validates the result again


def check_custom_values(entity: str, values: object) -> None:
    """`validate_custom_values` with its refusals as a DRF ValidationError by key."""
    try:
        validate_custom_values(entity, values)
    except CustomFieldsInvalid as exc:
        raise serializers.ValidationError({key: [message] for key, message in exc.errors.items()}) from None
    except DomainError as exc:
        raise serializers.ValidationError(exc.message) from None


class CustomFieldsSerializerMixin:
    """Checks a new record's custom values (required fields) when `custom_fields` was left out of the request."""

    custom_fields_entity = ""

    def validate(self, attrs: dict) -> dict:
        attrs = super().validate(attrs)  # type: ignore[misc]
        field = self.fields["custom_fields"]  # type: ignore[attr-defined]
        if self.instance is None and field.source not in attrs:  # type: ignore[attr-defined]
            try:
                check_custom_values(self.custom_fields_entity, {})
            except serializers.ValidationError as exc:
                raise serializers.ValidationError({"custom_fields": exc.detail}) from None
        return attrs
