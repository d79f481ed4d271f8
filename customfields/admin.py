"""Custom-field definitions in the tenant admin, written through their services (audited; key, record and type are
fixed once created)."""

from django.contrib import admin
from django.http import HttpRequest

from core.admin import ServiceAdmin
from customfields import services
from customfields.models import CustomField


@admin.register(CustomField)
class CustomFieldAdmin(ServiceAdmin):
    list_display = ["entity", "key", "label", "field_type", "required", "show_in_list", "position"]
    list_filter = ["entity", "field_type", "required"]
    search_fields = ["key", "label"]
    readonly_fields = ["created_at", "updated_at"]

    def get_readonly_fields(self, request: HttpRequest, obj: object = None) -> list[str]:
        fixed = ["entity", "key", "field_type"] if obj is not None else []
        return [*fixed, *self.readonly_fields]

    def service_save(self, request: HttpRequest, current: CustomField | None, fields: dict) -> CustomField:
        if current is None:
            return services.custom_field_create(user=request.user, **fields)
        return services.custom_field_update(custom_field=current, user=request.user, **fields)

    def service_delete(self, request: HttpRequest, obj: CustomField) -> None:
        services.custom_field_delete(custom_field=obj, user=request.user)
