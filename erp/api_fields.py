"""DRF fields that read numbers and ids the way `erp.numbers` says: plain ASCII digits, no sign, no exponent.

DRF's own fields parse with `int()` / `Decimal()`: "١٢" is 12, "1e3" is 1000, and a JSON 1.5 given for an id is
truncated to 1 by the primary-key lookup. Serializers of the domain apps use these instead (`PlainModelSerializer`
maps model fields to them); `tests/security/test_api_numbers.py` fails if a writable field of the API is not one.
"""

from __future__ import annotations

from django.db import models
from rest_framework import serializers
from rest_framework.routers import SimpleRouter

from erp.numbers import is_plain_id, plain_decimal_error, plain_number_error


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
    """An object by its id: a JSON integer or a string of digits 0-9; 1.5, "1.5" or "١٢" are refused, not rounded."""

    def to_internal_value(self, data: object):
        if not is_plain_id(data):
            raise serializers.ValidationError(
                f"An id is a whole number in digits 0-9, not {data!r}.", code="incorrect_type"
            )
        return super().to_internal_value(data)


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


class IdRouter(SimpleRouter):
    """Detail URLs take ids of digits 0-9 only (DRF's default lookup takes any text, and "١٢" found object 12)."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._default_value_pattern = "[0-9]+"
