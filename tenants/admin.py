from django.contrib import admin

from tenants.models import Domain, SchemaTemplate, Tenant


class DomainInline(admin.TabularInline):
    model = Domain
    extra = 0


@admin.register(Tenant)
class TenantAdmin(admin.ModelAdmin):
    list_display = ["slug", "name", "plan", "status", "schema_name", "created_at"]
    list_filter = ["plan", "status"]
    search_fields = ["slug", "name"]
    readonly_fields = ["schema_name", "created_at", "updated_at"]
    inlines = [DomainInline]

    def has_add_permission(self, request) -> bool:
        # Tenants are provisioned by `manage.py create_tenant` (schema, domain and admin user in one transaction).
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(SchemaTemplate)
class SchemaTemplateAdmin(admin.ModelAdmin):
    list_display = ["fingerprint", "migration_count", "created_at"]
    readonly_fields = ["fingerprint", "migration_count", "created_at", "sql"]

    def has_add_permission(self, request) -> bool:
        return False
