"""Custom fields in the pages: a form field per definition on the authoring forms (items, partners, orders), the
list filters, and the definition form tenant admins use."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django import forms
from django.contrib.auth.models import AbstractBaseUser

from core.forms import RecordForm
from customfields.models import TEXT_MAX_LENGTH, CustomField
from customfields.registry import ENTITIES
from customfields.services import (
    FILTER_PREFIX,
    CustomFieldsInvalid,
    custom_field_create,
    custom_field_update,
    definitions,
    validate_custom_values,
)

_YES_NO = [("", "—"), ("yes", "Yes"), ("no", "No")]


def form_field(definition: CustomField, *, for_filter: bool = False) -> forms.Field:
    """The form field of one definition: a text box (numbers too: the number rule reads them, with a digit keyboard),
    a date, a list of choices, or yes/no as a choice (a checkbox cannot say "no value")."""
    required = definition.required and not for_filter
    common: dict[str, Any] = {
        "label": definition.label,
        "required": required,
        "help_text": "" if for_filter else definition.help_text,
    }
    kind = definition.field_type
    if kind == CustomField.Type.NUMBER:
        return forms.CharField(widget=forms.TextInput(attrs={"inputmode": "decimal"}), **common)
    if kind == CustomField.Type.DATE:
        return forms.DateField(widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"), **common)
    if kind == CustomField.Type.CHOICE:
        return forms.ChoiceField(choices=[("", "—"), *((c, c) for c in definition.choices)], **common)
    if kind == CustomField.Type.YES_NO:
        return forms.ChoiceField(choices=_YES_NO, **common)
    return forms.CharField(max_length=min(definition.max_length, TEXT_MAX_LENGTH), strip=True, **common)


def shown_value(definition: CustomField, value: object) -> object:
    """A stored value as a form (or a list cell) shows it."""
    if definition.field_type == CustomField.Type.YES_NO and isinstance(value, bool):
        return "yes" if value else "no"
    return value


class CustomFieldsFormMixin:
    """Adds a `cf_<key>` field per custom field of `custom_fields_entity` to a RecordForm, filled from the record's
    `custom_fields_source` attribute; the values go to the service under that keyword (every key: a blank removes a
    value). Errors of the one rule (`validate_custom_values`) show by their field."""

    custom_fields_entity = ""
    custom_fields_source = "custom_fields"

    fields: dict[str, forms.Field]
    initial: dict
    instance: object
    cleaned_data: dict
    errors: dict

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.custom_field_definitions = definitions(self.custom_fields_entity)
        stored = getattr(self.instance, self.custom_fields_source, None) if self.instance is not None else None
        for definition in self.custom_field_definitions:
            name = FILTER_PREFIX + definition.key
            self.fields[name] = form_field(definition)
            if isinstance(stored, Mapping) and definition.key in stored and name not in self.initial:
                self.initial[name] = shown_value(definition, stored[definition.key])

    def custom_values(self) -> dict[str, object]:
        return {d.key: self.cleaned_data.get(FILTER_PREFIX + d.key) for d in self.custom_field_definitions}

    def clean(self) -> dict:
        cleaned = super().clean()  # type: ignore[misc]
        checked = [d for d in self.custom_field_definitions if FILTER_PREFIX + d.key not in self.errors]
        values = {d.key: self.cleaned_data.get(FILTER_PREFIX + d.key) for d in checked}
        try:
            validate_custom_values(self.custom_fields_entity, values, fields=checked)
        except CustomFieldsInvalid as exc:
            for key, message in exc.errors.items():
                self.add_error(FILTER_PREFIX + key, message)  # type: ignore[attr-defined]
        return cleaned

    def values(self) -> dict[str, object]:
        return {**super().values(), self.custom_fields_source: self.custom_values()}  # type: ignore[misc]


class CustomFieldFilterForm(forms.Form):
    """The list page's filters: one per custom field shown in the list, named `cf_<key>` as the API's."""

    def __init__(self, entity: str, data: Mapping[str, str], shown: list[CustomField]) -> None:
        super().__init__({name: value for name, value in data.items() if name.startswith(FILTER_PREFIX)})
        for definition in shown:
            field = form_field(definition, for_filter=True)
            if isinstance(field, forms.DateField):
                field = forms.CharField(
                    label=field.label, required=False, widget=forms.DateInput(attrs={"type": "date"})
                )
            self.fields[FILTER_PREFIX + definition.key] = field


class CustomFieldForm(RecordForm):
    """A tenant admin's definition of a custom field (key, entity and type are fixed once created)."""

    service_fields = (
        "entity",
        "key",
        "label",
        "field_type",
        "required",
        "choices",
        "max_length",
        "min_value",
        "max_value",
        "help_text",
        "position",
        "show_in_list",
    )

    entity = forms.ChoiceField(choices=list(ENTITIES.items()), label="Record")
    key = forms.CharField(max_length=40, help_text=CustomField._meta.get_field("key").help_text)
    label = forms.CharField(max_length=100)
    field_type = forms.ChoiceField(choices=CustomField.Type.choices, label="Type")
    required = forms.BooleanField(required=False)
    choices = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}), required=False, help_text="Choice: one allowed value a line."
    )
    max_length = forms.IntegerField(min_value=1, max_value=TEXT_MAX_LENGTH, initial=200, label="Longest text")
    min_value = forms.DecimalField(required=False, max_digits=20, decimal_places=6, label="Smallest number")
    max_value = forms.DecimalField(required=False, max_digits=20, decimal_places=6, label="Largest number")
    help_text = forms.CharField(max_length=200, required=False)
    position = forms.IntegerField(min_value=0, max_value=32767, initial=0)
    show_in_list = forms.BooleanField(required=False, label="Show in the list (a column and a filter)")

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if self.instance is not None:
            self.initial["choices"] = "\n".join(self.instance.choices)
            for name in ("entity", "key", "field_type"):
                self.fields[name].disabled = True

    @property
    def title(self) -> str:
        return f"Edit custom field {self.instance.label}" if self.instance is not None else "New custom field"

    def clean_choices(self) -> list[str]:
        return [line.strip() for line in self.cleaned_data.get("choices", "").splitlines() if line.strip()]

    def call_service(self, user: AbstractBaseUser) -> CustomField:
        values = self.values()
        if self.instance is None:
            return custom_field_create(user=user, **values)  # type: ignore[arg-type]
        for name in ("entity", "key", "field_type"):
            values.pop(name)
        return custom_field_update(custom_field=self.instance, user=user, **values)
