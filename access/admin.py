from django.contrib import admin, messages
from django.http import HttpRequest

from access import services
from access.forms import AdminSignInForm
from access.models import ApiKey

# The tenant admin and the operations admin (one site, two hosts) sign in under the limits of access.signin.
admin.site.login_form = AdminSignInForm


@admin.register(ApiKey)
class ApiKeyAdmin(admin.ModelAdmin):
    """Admins create keys here (the key is shown once, in a message) and revoke them; keys are never edited."""

    list_display = ["name", "prefix", "scope", "user", "created_at", "last_used_at", "revoked_at"]
    list_filter = ["scope"]
    search_fields = ["name", "prefix", "user__username"]
    fields = ["name", "scope", "user"]
    actions = ["revoke"]

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_module_permission(self, request: HttpRequest) -> bool:
        return request.user.is_active and request.user.is_superuser

    def has_view_permission(self, request: HttpRequest, obj=None) -> bool:
        return self.has_module_permission(request)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return self.has_module_permission(request)

    def save_model(self, request: HttpRequest, obj: ApiKey, form, change: bool) -> None:
        new = services.api_key_create(name=obj.name, scope=obj.scope, user=obj.user, created_by=request.user)
        for field in ApiKey._meta.concrete_fields:
            setattr(obj, field.attname, getattr(new.api_key, field.attname))
        messages.warning(request, f"Copy this key now, it will not be shown again: {new.key}")

    @admin.action(description="Revoke the selected keys")
    def revoke(self, request: HttpRequest, queryset) -> None:
        for api_key in queryset:
            services.api_key_revoke(api_key=api_key, user=request.user)
        messages.success(request, f"Revoked {queryset.count()} key(s).")
