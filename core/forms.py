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
