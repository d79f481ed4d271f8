from django.contrib import admin

from production.models import Bom, BomLine, ProductionEvent, WorkOrder, WorkOrderComponent


class BomLineInline(admin.TabularInline):
    model = BomLine
    extra = 0
    autocomplete_fields = ["component"]
    fields = ["position", "component", "quantity", "scrap_percent", "note"]


@admin.register(Bom)
class BomAdmin(admin.ModelAdmin):
    """Read-only here: BOM writes go through the services (cycle check, one active version), via the API."""

    list_display = ["item", "version", "is_active", "updated_at"]
    list_filter = ["is_active"]
    search_fields = ["item__sku", "item__name", "version"]
    list_select_related = ["item"]
    inlines = [BomLineInline]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


class WorkOrderComponentInline(admin.TabularInline):
    model = WorkOrderComponent
    extra = 0
    can_delete = False
    readonly_fields = ["item", "required_quantity", "reserved_quantity", "consumed_quantity"]

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(WorkOrder)
class WorkOrderAdmin(admin.ModelAdmin):
    """Read-only here: work orders change state through the services (web UI and API), which move stock."""

    list_display = ["number", "item", "quantity", "completed_quantity", "due_date", "state", "location"]
    list_filter = ["state", "due_date"]
    search_fields = ["number", "item__sku"]
    list_select_related = ["item", "location"]
    date_hierarchy = "due_date"
    inlines = [WorkOrderComponentInline]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(BomLine)
class BomLineAdmin(admin.ModelAdmin):
    list_display = ["bom", "position", "component", "quantity", "scrap_percent"]
    search_fields = ["bom__item__sku", "component__sku"]
    list_select_related = ["bom", "component"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(WorkOrderComponent)
class WorkOrderComponentAdmin(admin.ModelAdmin):
    list_display = ["work_order", "item", "required_quantity", "reserved_quantity", "consumed_quantity"]
    list_select_related = ["work_order", "item"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(ProductionEvent)
class ProductionEventAdmin(admin.ModelAdmin):
    list_display = ["created_at", "action", "bom_id", "work_order_id", "created_by"]
    list_filter = ["action"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
