"""Django admin for orders. Partners are edited through their services; orders, shipments and receipts are
read-only here (stock changes go through the services), with admin actions for the state transitions. Order events
are no longer written (the audit log is the trail); the old rows stay readable here until the table is dropped.
"""

from collections.abc import Callable

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from erp.errors import DomainError
from erp.service_admin import ServiceAdmin
from orders import services
from orders.models import (
    IdempotencyRecord,
    OrderEvent,
    Partner,
    PurchaseOrder,
    PurchaseOrderLine,
    Receipt,
    ReceiptLine,
    SalesOrder,
    SalesOrderLine,
    Shipment,
    ShipmentLine,
)


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


def _run(admin_: admin.ModelAdmin, request: HttpRequest, queryset: QuerySet, service: Callable, done: str) -> None:
    for order in queryset:
        try:
            service(order=order, user=request.user)
        except DomainError as exc:
            admin_.message_user(request, f"{order.number}: {exc.message}", messages.ERROR)
        else:
            admin_.message_user(request, f"{order.number} {done}")


@admin.register(Partner)
class PartnerAdmin(ServiceAdmin):
    list_display = ["code", "name", "is_customer", "is_supplier", "default_lead_time_days", "is_active"]
    list_filter = ["is_customer", "is_supplier", "is_active"]
    search_fields = ["code", "name", "contact_name", "email"]
    readonly_fields = ["created_at"]

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False  # deactivate instead: orders keep their partner

    def service_save(self, request: HttpRequest, current: Partner | None, fields: dict) -> Partner:
        if current is None:
            return services.partner_create(user=request.user, **fields)
        return services.partner_update(partner=current, user=request.user, **fields)


class SalesOrderLineInline(ReadOnlyInline):
    model = SalesOrderLine
    fields = ["item", "quantity", "unit_price", "promised_date", "reserved_quantity", "shipped_quantity"]


@admin.register(SalesOrder)
class SalesOrderAdmin(ReadOnlyAdmin):
    list_display = ["number", "customer", "status", "location", "created_at", "created_by"]
    list_filter = ["status"]
    list_select_related = ["customer", "location", "created_by"]
    search_fields = ["customer__code", "customer__name", "customer_reference"]
    inlines = [SalesOrderLineInline]
    actions = ["confirm", "reserve", "cancel"]

    @admin.action(description="Confirm the selected orders (reserve stock)")
    def confirm(self, request: HttpRequest, queryset: QuerySet[SalesOrder]) -> None:
        _run(self, request, queryset, services.sales_order_confirm, "confirmed")

    @admin.action(description="Reserve available stock for the selected orders")
    def reserve(self, request: HttpRequest, queryset: QuerySet[SalesOrder]) -> None:
        _run(self, request, queryset, services.sales_order_reserve, "reserved what was available")

    @admin.action(description="Cancel the selected orders (release reservations)")
    def cancel(self, request: HttpRequest, queryset: QuerySet[SalesOrder]) -> None:
        _run(self, request, queryset, services.sales_order_cancel, "cancelled")


@admin.register(SalesOrderLine)
class SalesOrderLineAdmin(ReadOnlyAdmin):
    list_display = ["order", "item", "quantity", "promised_date", "reserved_quantity", "shipped_quantity"]
    list_select_related = ["order", "item"]
    search_fields = ["item__sku"]


class ShipmentLineInline(ReadOnlyInline):
    model = ShipmentLine
    fields = ["order_line", "quantity", "move"]


@admin.register(Shipment)
class ShipmentAdmin(ReadOnlyAdmin):
    list_display = ["__str__", "order", "shipped_at", "reference", "created_by"]
    list_select_related = ["order", "created_by"]
    inlines = [ShipmentLineInline]


@admin.register(ShipmentLine)
class ShipmentLineAdmin(ReadOnlyAdmin):
    list_display = ["shipment", "order_line", "quantity", "move"]


class PurchaseOrderLineInline(ReadOnlyInline):
    model = PurchaseOrderLine
    fields = ["item", "quantity", "unit_cost", "expected_date", "received_quantity"]


@admin.register(PurchaseOrder)
class PurchaseOrderAdmin(ReadOnlyAdmin):
    list_display = ["number", "supplier", "status", "created_at", "sent_at", "created_by"]
    list_filter = ["status"]
    list_select_related = ["supplier", "created_by"]
    search_fields = ["supplier__code", "supplier__name", "supplier_reference"]
    inlines = [PurchaseOrderLineInline]
    actions = ["send", "cancel"]

    @admin.action(description="Mark the selected orders as sent")
    def send(self, request: HttpRequest, queryset: QuerySet[PurchaseOrder]) -> None:
        _run(self, request, queryset, services.purchase_order_send, "sent")

    @admin.action(description="Cancel the selected orders")
    def cancel(self, request: HttpRequest, queryset: QuerySet[PurchaseOrder]) -> None:
        _run(self, request, queryset, services.purchase_order_cancel, "cancelled")


@admin.register(PurchaseOrderLine)
class PurchaseOrderLineAdmin(ReadOnlyAdmin):
    list_display = ["order", "item", "quantity", "expected_date", "received_quantity"]
    list_select_related = ["order", "item"]
    search_fields = ["item__sku"]


class ReceiptLineInline(ReadOnlyInline):
    model = ReceiptLine
    fields = ["order_line", "quantity", "move"]


@admin.register(Receipt)
class ReceiptAdmin(ReadOnlyAdmin):
    list_display = ["__str__", "order", "location", "received_at", "reference", "created_by"]
    list_select_related = ["order", "location", "created_by"]
    inlines = [ReceiptLineInline]


@admin.register(ReceiptLine)
class ReceiptLineAdmin(ReadOnlyAdmin):
    list_display = ["receipt", "order_line", "quantity", "move"]


@admin.register(OrderEvent)
class OrderEventAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "action", "sales_order", "purchase_order", "detail", "user"]
    list_filter = ["action"]
    list_select_related = ["sales_order", "purchase_order", "user"]


@admin.register(IdempotencyRecord)
class IdempotencyRecordAdmin(ReadOnlyAdmin):
    list_display = ["key", "response_status", "created_at"]
    search_fields = ["key"]
    exclude = ["response_body"]
