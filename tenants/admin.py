from django.contrib import admin
from django.http import HttpRequest
from django_tenants.utils import get_public_schema_name

from tenants.models import Domain, SchemaTemplate, Tenant


def on_public_host(request: HttpRequest) -> bool:
    """The admin site serves both the public host and every tenant host; fleet-wide screens belong to the public."""
    tenant = getattr(request, "tenant", None)
    return tenant is not None and tenant.schema_name == get_public_schema_name()


class PublicHostOnly:
    """The admin site also serves every tenant host, where a tenant's superuser holds every permission: the fleet
    registry and records (public schema, every tenant's rows) are reachable on the public host only."""

    def has_module_permission(self, request) -> bool:
        return on_public_host(request) and super().has_module_permission(request)

    def has_view_permission(self, request, obj=None) -> bool:
        return on_public_host(request) and super().has_view_permission(request, obj)

    def has_change_permission(self, request, obj=None) -> bool:
        return on_public_host(request) and super().has_change_permission(request, obj)

    def has_add_permission(self, request, *args) -> bool:
        return on_public_host(request) and super().has_add_permission(request, *args)

    def has_delete_permission(self, request, obj=None) -> bool:
        return on_public_host(request) and super().has_delete_permission(request, obj)


class DomainInline(admin.TabularInline):
    model = Domain
    extra = 0


@admin.register(Tenant)
class TenantAdmin(PublicHostOnly, admin.ModelAdmin):
    list_display = ["slug", "name", "plan", "status", "cell", "schema_name", "created_at"]
    list_filter = ["plan", "status", "cell"]
    search_fields = ["slug", "name"]
    readonly_fields = ["schema_name", "created_at", "updated_at"]
    inlines = [DomainInline]

    def has_add_permission(self, request) -> bool:
        # Tenants are provisioned by `manage.py create_tenant` (schema, domain and admin user in one transaction).
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(SchemaTemplate)
class SchemaTemplateAdmin(PublicHostOnly, admin.ModelAdmin):
    list_display = ["fingerprint", "migration_count", "created_at"]
    readonly_fields = ["fingerprint", "migration_count", "created_at", "sql"]

    def has_add_permission(self, request) -> bool:
        return False


class ReadOnlyAdmin(PublicHostOnly, admin.ModelAdmin):
    """Public records written only by services (fleet, support); the admin shows them."""

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


class ReadOnlyInline(admin.TabularInline):
    """A trail shown under its parent: every field read-only, nothing added or deleted."""

    extra = 0
    can_delete = False

    def get_readonly_fields(self, request, obj=None) -> list[str]:
        return list(self.fields)

    def has_add_permission(self, request, obj=None) -> bool:
        return False
