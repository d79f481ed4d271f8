"""Form fields of the web UI that read numbers and ids as `core.numbers` says: plain digits 0-9, no sign.

Django's own fields parse with `Decimal()` / `int()` and read "١٢" as 12; these refuse it with a message by the field.
"""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError

from core.numbers import is_plain_id, plain_decimal_error, plain_number_error


def _check(value: object, *, whole: bool) -> None:
    text = value.strip() if isinstance(value, str) else ""
    if text and (problem := plain_number_error(text, whole=True) if whole else plain_decimal_error(text)):
        raise ValidationError(f"{text!r} {problem}.", code="invalid")


class PlainDecimalField(forms.DecimalField):
    def to_python(self, value):
        number = super().to_python(value)  # Django's own message ("Enter a number.") for what it cannot read at all
        _check(value, whole=False)
        return number


class PlainIntegerField(forms.IntegerField):
    def to_python(self, value):
        number = super().to_python(value)
        _check(value, whole=True)
        return number


class PlainModelChoiceField(forms.ModelChoiceField):
    """A choice by id: digits 0-9 only (Django's own field looked up "١٢" as object 12)."""

    def to_python(self, value):
        if value not in self.empty_values and not is_plain_id(value) and not isinstance(value, self.queryset.model):
            raise ValidationError(self.error_messages["invalid_choice"], code="invalid_choice")
        return super().to_python(value)
