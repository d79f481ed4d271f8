"""Every writable number and id of the API is read as plain digits (core.api_fields): a new serializer that uses
DRF's own DecimalField, IntegerField or PrimaryKeyRelatedField (which read "١٢" as 12 and truncate 1.5) fails here."""

from django.urls import get_resolver
from rest_framework import serializers

from core.api_fields import PlainDecimalField, PlainIntegerField, PlainPrimaryKeyRelatedField

LENIENT = (serializers.DecimalField, serializers.IntegerField, serializers.PrimaryKeyRelatedField)
PLAIN = (PlainDecimalField, PlainIntegerField, PlainPrimaryKeyRelatedField)


def _all_serializers() -> list[type[serializers.Serializer]]:
    assert get_resolver().url_patterns  # imports every view, hence every serializer the API uses
    found, stack = [], [serializers.Serializer]
    while stack:
        cls = stack.pop()
        for sub in cls.__subclasses__():
            stack.append(sub)
            if sub.__module__.split(".")[0] in {"inventory", "production", "orders", "access", "audit", "tenants"}:
                found.append(sub)
    return found


def _lenient_fields(serializer: serializers.Serializer, prefix: str = "") -> list[str]:
    out = []
    for name, field in serializer.fields.items():
        if field.read_only:
            continue
        if isinstance(field, serializers.ListSerializer):
            field = field.child
        if isinstance(field, serializers.ManyRelatedField):
            field = field.child_relation
        if isinstance(field, serializers.Serializer):
            out += _lenient_fields(field, f"{prefix}{name}.")
        elif isinstance(field, LENIENT) and not isinstance(field, PLAIN):
            out.append(f"{prefix}{name} ({type(field).__name__})")
    return out


def _is_base(cls) -> bool:
    """A base to inherit from (abstract, or a model serializer without its model yet): its subclasses are checked."""
    meta = getattr(cls, "Meta", None)
    return getattr(meta, "abstract", False) or (
        issubclass(cls, serializers.ModelSerializer) and not hasattr(meta, "model")
    )


def test_every_writable_number_and_id_of_the_api_is_read_as_plain_digits(db):
    classes = _all_serializers()
    assert len(classes) > 15
    lenient = {
        f"{cls.__module__}.{cls.__name__}": fields
        for cls in classes
        if not _is_base(cls) and (fields := _lenient_fields(cls()))
    }
    assert not lenient, f"use core.api_fields' Plain* fields (or PlainModelSerializer) for: {lenient}"
