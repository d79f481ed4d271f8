from django.contrib import admin

from tenants.models import (
    Domain,
    FleetMigrationRecord,
    FleetMigrationRun,
    SchemaTemplate,
    Tenant,
    TenantArchive,
    TenantAuditEvent,
)


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


# --- Fleet operations: read-only views of what the fleet commands did (tenants.fleet) -------------------------------


class ReadOnlyAdmin(admin.ModelAdmin):
    """Written only by the fleet services; the admin shows them."""

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


class FleetMigrationRecordInline(admin.TabularInline):
    model = FleetMigrationRecord
    extra = 0
    can_delete = False
    fields = ["schema_name", "status", "method", "duration_ms", "error"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(FleetMigrationRun)
class FleetMigrationRunAdmin(ReadOnlyAdmin):
    list_display = ["id", "started_at", "finished_at", "status", "canary", "up_to_date", "summary", "actor"]
    list_filter = ["status"]
    inlines = [FleetMigrationRecordInline]


@admin.register(FleetMigrationRecord)
class FleetMigrationRecordAdmin(ReadOnlyAdmin):
    list_display = ["schema_name", "run", "status", "method", "duration_ms", "started_at"]
    list_filter = ["status", "method"]
    search_fields = ["schema_name", "error"]
    list_select_related = ["run"]


@admin.register(TenantAuditEvent)
class TenantAuditEventAdmin(ReadOnlyAdmin):
    list_display = ["at", "tenant_slug", "action", "actor", "details"]
    list_filter = ["action"]
    search_fields = ["tenant_slug", "actor"]
    date_hierarchy = "at"


@admin.register(TenantArchive)
class TenantArchiveAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "tenant_slug", "location", "size_bytes", "sha256"]
    search_fields = ["tenant_slug", "location"]


class TenantArchiveInline(admin.TabularInline):
    """Backups and archives of the tenant; for an archived tenant the newest one is where its data lives."""

    model = TenantArchive
    extra = 0
    can_delete = False
    fields = ["created_at", "location", "size_bytes", "sha256"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None) -> bool:
        return False


TenantAdmin.inlines = [*TenantAdmin.inlines, TenantArchiveInline]
