import copy

from django import forms
from django.contrib import admin, messages
from django.contrib.auth.admin import GroupAdmin, UserAdmin
from django.contrib.auth.forms import AdminPasswordChangeForm, AdminUserCreationForm, UserChangeForm
from django.contrib.auth.models import Group, User
from django.http import HttpRequest

from access import services
from access.forms import AdminSignInForm
from access.models import ApiKey
from access.roles import GROUP_ROLES, Role
from core.admin import ServiceAdmin
from tenants.admin import on_public_host

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


# --- Users and groups --------------------------------------------------------------------------------------------
# On a tenant host users are written through access.services (audited, with their rules: an admin cannot demote,
# deactivate or delete themselves), and a user's permissions are their role, not flags and groups. Groups stand for
# the roles and are read-only. The public host (operations staff) keeps Django's stock admin.
def _stored_role(user) -> str:
    if user.is_superuser:
        return Role.ADMIN
    names = set(user.groups.values_list("name", flat=True))
    return next((role for role in GROUP_ROLES if role in names), Role.READ_ONLY)


class UserRoleChangeForm(UserChangeForm):
    role = forms.ChoiceField(choices=Role.choices, help_text="What the user may do in this tenant (see /users/).")

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk is not None:
            self.initial.setdefault("role", _stored_role(self.instance))


class UserRoleCreationForm(AdminUserCreationForm):
    role = forms.ChoiceField(choices=Role.choices, initial=Role.READ_ONLY)


class ServicePasswordChangeForm(AdminPasswordChangeForm):
    acting_user = None  # set per request by TenantUserAdmin.user_change_password

    def save(self, commit: bool = True):
        usable = self.cleaned_data.get("set_usable_password", True)
        password = self.cleaned_data["password1"] if usable else None
        services.user_set_password(user=self.user, password=password, by=self.acting_user)
        return self.user


admin.site.unregister(User)
admin.site.unregister(Group)


@admin.register(User)
class TenantUserAdmin(ServiceAdmin, UserAdmin):
    tenant_fieldsets = (
        (None, {"fields": ("username", "password")}),
        ("Personal info", {"fields": ("first_name", "last_name", "email")}),
        ("Access", {"fields": ("role", "is_active")}),
        ("Important dates", {"fields": ("last_login", "date_joined")}),
    )
    tenant_add_fieldsets = (
        (None, {"classes": ("wide",), "fields": ("username", "usable_password", "password1", "password2", "role")}),
    )

    def get_fieldsets(self, request: HttpRequest, obj=None):
        if on_public_host(request):
            return super().get_fieldsets(request, obj)
        return self.tenant_add_fieldsets if obj is None else self.tenant_fieldsets

    def get_readonly_fields(self, request: HttpRequest, obj=None):
        if on_public_host(request):
            return super().get_readonly_fields(request, obj)
        return ["last_login", "date_joined"]

    def get_list_filter(self, request: HttpRequest):
        return super().get_list_filter(request) if on_public_host(request) else ["is_active", "is_superuser"]

    def get_form(self, request: HttpRequest, obj=None, **kwargs):
        if on_public_host(request):
            return UserAdmin.get_form(self, request, obj, **kwargs)
        form = UserRoleCreationForm if obj is None else UserRoleChangeForm
        return super().get_form(request, obj, form=form, **kwargs)

    def service_save(self, request: HttpRequest, current, fields: dict):
        fields = dict(fields)
        role = fields.pop("role", None)
        if current is None:
            usable = fields.pop("set_usable_password", True)  # the form's reading of `usable_password`
            password = fields.pop("password1", None) if usable else None
            for name in ("password2", "usable_password"):
                fields.pop(name, None)
            if getattr(request, "_erp_admin_validating", False):
                password = None  # hashing costs a second of CPU: the real save hashes, the check need not
            return services.user_create(by=request.user, role=role, password=password, **fields)
        fields.pop("password", None)  # shown read-only; changed on its own page
        user = services.user_update(user=current, by=request.user, **fields) if fields else current
        if role is not None:
            user = services.user_set_role(user=user, role=role, by=request.user)
        return user

    def service_delete(self, request: HttpRequest, obj) -> None:
        services.user_delete(user=obj, by=request.user)

    def _validate_through_service(self, request: HttpRequest, form) -> None:
        request._erp_admin_validating = True
        try:
            super()._validate_through_service(request, form)
        finally:
            request._erp_admin_validating = False

    def user_change_password(self, request: HttpRequest, id, form_url=""):
        if on_public_host(request):
            return super().user_change_password(request, id, form_url)
        per_request = copy.copy(self)  # the admin is shared by every request: the acting user goes on a copy
        per_request.change_password_form = type(
            "ServicePasswordChangeForm", (ServicePasswordChangeForm,), {"acting_user": request.user}
        )
        return UserAdmin.user_change_password(per_request, request, id, form_url)

    # On the public host every write is Django's own.
    def save_form(self, request: HttpRequest, form, change: bool):
        return UserAdmin.save_form(self, request, form, change) if on_public_host(request) else form.instance

    def save_model(self, request: HttpRequest, obj, form, change: bool) -> None:
        if on_public_host(request):
            return UserAdmin.save_model(self, request, obj, form, change)
        return super().save_model(request, obj, form, change)

    def save_related(self, request: HttpRequest, form, formsets, change: bool) -> None:
        if on_public_host(request):
            return UserAdmin.save_related(self, request, form, formsets, change)
        return super().save_related(request, form, formsets, change)

    def delete_model(self, request: HttpRequest, obj) -> None:
        if on_public_host(request):
            return UserAdmin.delete_model(self, request, obj)
        return super().delete_model(request, obj)

    def delete_queryset(self, request: HttpRequest, queryset) -> None:
        if on_public_host(request):
            return UserAdmin.delete_queryset(self, request, queryset)
        return super().delete_queryset(request, queryset)


@admin.register(Group)
class TenantGroupAdmin(GroupAdmin):
    """On a tenant host the groups are the roles (access.roles): read-only; a user's role is set on the user."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return on_public_host(request) and super().has_add_permission(request)

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return on_public_host(request) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return on_public_host(request) and super().has_delete_permission(request, obj)
