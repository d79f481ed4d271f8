"""Admin bases: `ReadOnlyAdmin` / `ReadOnlyInline` for what only services write (ledgers, trails, jobs), and
`ServiceAdmin` for models that services write: add, change and delete call the service (its rules, its audit entry
under the signed-in user), and a rule the service refuses shows as an error on the form, not as a 500.

The form is validated by calling the service itself inside a savepoint that is always rolled back (its rules are
written once, in the service, and some need the database: a unique default location, a parent that is not inside
the location); the save then calls it for real. A refusal that slips between the two (another request changed the
data meanwhile) rolls the whole request back and comes back as a message. Deleting one or several objects also goes
through the service, all or nothing.
"""

from __future__ import annotations

from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Model, QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse

from core.errors import DomainError


class ReadOnlyAdmin(admin.ModelAdmin):
    """Shown, never added, changed or deleted here: the services write these rows."""

    def has_add_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


class ReadOnlyInline(admin.TabularInline):
    """Lines shown under their parent: nothing added, changed or deleted."""

    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


class _DryRun(Exception):
    """Rolls back a service call made only to validate a form."""


class ServiceAdmin(admin.ModelAdmin):
    """Subclasses write through their services: `service_save` and `service_delete`."""

    def service_save(self, request: HttpRequest, current: Model | None, fields: dict[str, object]) -> Model:
        """Create (`current` None) or change `current` (fresh from the database) with `fields`; return the object."""
        raise NotImplementedError

    def service_delete(self, request: HttpRequest, obj: Model) -> None:
        raise NotImplementedError

    # --- forms ----------------------------------------------------------------------------------------------------
    def get_form(self, request: HttpRequest, obj: Model | None = None, change: bool = False, **kwargs):
        form_class = super().get_form(request, obj, change=change, **kwargs)
        model_admin = self

        class ServiceForm(form_class):
            def full_clean(self) -> None:
                super().full_clean()
                if self.is_bound and not self.errors:
                    model_admin._validate_through_service(request, self)

        ServiceForm.__name__ = form_class.__name__
        return ServiceForm

    def service_fields(self, form, current: Model | None) -> dict[str, object]:
        """Every field of a new object; only the changed ones of an existing object."""
        names = form.cleaned_data if current is None else form.changed_data
        return {name: form.cleaned_data[name] for name in names if name in form.cleaned_data}

    def _current(self, obj: Model) -> Model | None:
        # The form has already set the new values on its instance: the service must see the stored ones.
        return None if obj.pk is None else type(obj)._default_manager.get(pk=obj.pk)

    def _validate_through_service(self, request: HttpRequest, form) -> None:
        current = self._current(form.instance)
        try:
            with transaction.atomic():
                self.service_save(request, current, self.service_fields(form, current))
                raise _DryRun
        except _DryRun:
            pass
        except DomainError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        except ValidationError as exc:
            errors = exc.message_dict if hasattr(exc, "error_dict") else {None: exc.messages}
            for field, messages_ in errors.items():
                form.add_error(field if field in form.fields else None, messages_)

    # --- writes ---------------------------------------------------------------------------------------------------
    def save_form(self, request: HttpRequest, form, change: bool) -> Model:
        return form.instance  # not form.save(commit=False): the service builds the object (a user form would hash)

    def save_model(self, request: HttpRequest, obj: Model, form, change: bool) -> None:
        current = self._current(obj) if change else None
        saved = self.service_save(request, current, self.service_fields(form, current))
        for field in obj._meta.concrete_fields:  # the admin goes on with `obj` (its id, its name in messages)
            setattr(obj, field.attname, getattr(saved, field.attname))
        obj._state.adding = False

    def save_related(self, request: HttpRequest, form, formsets, change: bool) -> None:
        """Nothing: a service admin has no inlines, and its forms no many-to-many fields the service would not see."""

    def delete_model(self, request: HttpRequest, obj: Model) -> None:
        self.service_delete(request, obj)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet) -> None:
        for obj in queryset:
            self.service_delete(request, obj)

    # --- refusals that pass validation come back as a message ---------------------------------------------------
    def changeform_view(self, request: HttpRequest, object_id=None, form_url="", extra_context=None) -> HttpResponse:
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except DomainError as exc:
            return self._refused(request, exc, request.get_full_path())

    def delete_view(self, request: HttpRequest, object_id, extra_context=None) -> HttpResponse:
        try:
            return super().delete_view(request, object_id, extra_context)
        except DomainError as exc:
            opts = self.opts
            change = reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[object_id])
            return self._refused(request, exc, change)

    def response_action(self, request: HttpRequest, queryset: QuerySet, **kwargs) -> HttpResponse | None:
        try:
            with transaction.atomic():  # a bulk delete is all or nothing
                return super().response_action(request, queryset, **kwargs)
        except DomainError as exc:
            return self._refused(request, exc, request.get_full_path())

    def _refused(self, request: HttpRequest, exc: DomainError, url: str) -> HttpResponse:
        self.message_user(request, f"Nothing was saved: {exc.message}", messages.ERROR)
        return HttpResponseRedirect(url)
