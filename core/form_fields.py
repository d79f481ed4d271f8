"""Form fields of the web UI that read numbers and ids as `core.numbers` says: plain digits 0-9, no sign.

Django's own fields parse with `Decimal()` / `int()` and read "١٢" as 12; these refuse it with a message by the field.
Numbers are typed into text inputs (`inputmode` brings up the digit keyboard on a tablet), not `type=number`: a
browser sends an empty string for what its number input cannot read (letters became "This field is required" and
the typed text was lost) and reads "2,5" by the browser's locale (a receipt of 25). A comma is refused with
`core.numbers.COMMA_PROBLEM` whatever it was meant as; what was typed is shown again with the message.
"""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError

from core.numbers import is_plain_id, plain_decimal_error, plain_number_error


def _check(value: object, *, whole: bool) -> None:
    text = value.strip() if isinstance(value, str) else ""
    if text and (problem := plain_number_error(text, whole=True) if whole else plain_decimal_error(text)):
        raise ValidationError(f"{text!r} {problem}.", code="invalid")


def _has_comma(value: object) -> bool:
    return isinstance(value, str) and "," in value


class PlainDecimalField(forms.DecimalField):
    widget = forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"})

    def to_python(self, value):
        if _has_comma(value):
            _check(value, whole=False)  # the comma's own message, not Django's "Enter a number."
        number = super().to_python(value)  # Django's own message ("Enter a number.") for what it cannot read at all
        _check(value, whole=False)
        return number


class PlainIntegerField(forms.IntegerField):
    widget = forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"})

    def to_python(self, value):
        if _has_comma(value):
            _check(value, whole=True)
        number = super().to_python(value)
        _check(value, whole=True)
        return number


class PlainModelChoiceField(forms.ModelChoiceField):
    """A choice by id: digits 0-9 only (Django's own field looked up "١٢" as object 12)."""

    def to_python(self, value):
        if value not in self.empty_values and not is_plain_id(value) and not isinstance(value, self.queryset.model):
            raise ValidationError(self.error_messages["invalid_choice"], code="invalid_choice")
        return super().to_python(value)
