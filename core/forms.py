"""The base of every web form that calls a service."""

from __future__ import annotations

from django import forms
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError

from core.errors import DomainError


class ServiceForm(forms.Form):
    """A form whose `submit` calls a service and turns a domain error into a form error on the right field."""

    def submit(self, user: AbstractBaseUser) -> object | None:
        try:
            return self.call_service(user)
        except DomainError as exc:
            self.add_error(exc.field if exc.field in self.fields else None, exc.message)
            return None
        except ValidationError as exc:  # a model's full_clean in the service: each message by its field
            for field, messages in (exc.message_dict if hasattr(exc, "error_dict") else {None: exc.messages}).items():
                self.add_error(field if field in self.fields else None, messages)
            return None

    def call_service(self, user: AbstractBaseUser) -> object:
        raise NotImplementedError


class RecordForm(ServiceForm):
    """Create a record, or edit `instance`: its current values are the form's initial values.

    The fields are listed explicitly (`service_fields`, the keyword arguments the service takes besides the user);
    a field added to the model is offered here by adding it to the form and to that list.
    """

    service_fields: tuple[str, ...] = ()

    def __init__(self, *args, instance=None, **kwargs) -> None:
        if instance is not None and "initial" not in kwargs:
            kwargs["initial"] = {name: self.initial_value(instance, name) for name in self.service_fields}
        super().__init__(*args, **kwargs)
        self.instance = instance

    @staticmethod
    def initial_value(instance, name: str) -> object:
        value = getattr(instance, name)
        if hasattr(value, "normalize"):
            return f"{value.normalize():f}"  # 12.5, not 12.5000
        return value

    def values(self) -> dict[str, object]:
        return {name: self.cleaned_data[name] for name in self.service_fields if name in self.cleaned_data}
