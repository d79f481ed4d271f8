"""Django admin for orders. Partners are edited through their services; orders, shipments and receipts are
read-only here (stock changes go through the services), with admin actions for the state transitions. An order's
history is its audit log entries (the audit admin); the retired order events have no page.
"""

from collections.abc import Callable

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from core.admin import ReadOnlyAdmin, ReadOnlyInline, ServiceAdmin
from core.errors import DomainError
from customfields.services import replacing_custom_values
from orders import services
from orders.models import (
    CustomerReturn,
    CustomerReturnLine,
    IdempotencyRecord,
    Partner,
    SupplierItem,
    SupplierReturn,
    SupplierReturnLine,
)
from orders.services.engine import Direction, OrderKind
from orders.services.purchase import PURCHASE
from orders.services.sales import SALES


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
        if "custom_fields" in fields:  # the JSON box holds the whole object: keys taken out of it are removed
            fields["custom_fields"] = replacing_custom_values(current.custom_fields, fields["custom_fields"])
        return services.partner_update(partner=current, user=request.user, **fields)


@admin.register(SupplierItem)
class SupplierItemAdmin(ServiceAdmin):
    list_display = ["item", "supplier", "unit_price", "lead_time_days", "minimum_quantity", "is_preferred"]
    list_filter = ["is_preferred"]
    search_fields = ["item__sku", "supplier__code"]
    raw_id_fields = ["item", "supplier"]
    readonly_fields = ["created_at"]

    def service_delete(self, request: HttpRequest, obj: SupplierItem) -> None:  # type: ignore[override]
        services.supplier_item_delete(supplier_item=obj, user=request.user)

    def service_save(self, request: HttpRequest, current: SupplierItem | None, fields: dict) -> SupplierItem:
        if current is None:
            return services.supplier_item_create(user=request.user, **fields)
        return services.supplier_item_update(supplier_item=current, user=request.user, **fields)


def _transition(name: str, service: Callable, description: str, done: str) -> Callable:
    """An admin action that runs one transition service on each selected order."""

    def run(admin_: admin.ModelAdmin, request: HttpRequest, queryset: QuerySet) -> None:
        _run(admin_, request, queryset, service, done)

    run.__name__ = name
    return admin.action(description=description)(run)


def _register_kind(kind: OrderKind, *, order_columns: list[str], delivery_columns: list[str], actions: list) -> None:
    """Read-only admin pages for one kind of order, its lines, its deliveries and their lines, with the kind's
    transitions as admin actions.
    """
    partner, delivery = kind.partner_field, kind.delivery_field
    delivered = ["reserved_quantity"] if kind.direction is Direction.OUT else []
    delivered.append(kind.delivered_field)
    located = ["location"] if kind.direction is Direction.IN else []  # a receipt names where it went
    line_inline = type(
        f"{kind.line_model.__name__}Inline",
        (ReadOnlyInline,),
        {
            "model": kind.line_model,
            "fields": ["item", "quantity", "uom", "uom_quantity", kind.price_field, kind.date_field, *delivered],
        },
    )
    order_admin = {
        "list_display": order_columns,
        "list_filter": ["status"],
        "list_select_related": [partner, *kind.lock_related, "created_by"],
        "search_fields": [f"{partner}__code", f"{partner}__name", kind.reference_field],
        "inlines": [line_inline],
        "actions": actions,
    }
    admin.site.register(kind.model, type(f"{kind.model.__name__}Admin", (ReadOnlyAdmin,), order_admin))
    line_admin = {
        "list_display": ["order", "item", "quantity", "uom", "uom_quantity", kind.date_field, *delivered],
        "list_select_related": ["order", "item", "uom"],
        "search_fields": ["item__sku"],
    }
    admin.site.register(kind.line_model, type(f"{kind.line_model.__name__}Admin", (ReadOnlyAdmin,), line_admin))
    delivery_line_inline = type(
        f"{kind.delivery_line_model.__name__}Inline",
        (ReadOnlyInline,),
        {"model": kind.delivery_line_model, "fields": ["order_line", "quantity", "move"]},
    )
    delivery_admin = {
        "list_display": delivery_columns,
        "list_select_related": ["order", *located, "created_by"],
        "inlines": [delivery_line_inline],
    }
    admin.site.register(
        kind.delivery_model, type(f"{kind.delivery_model.__name__}Admin", (ReadOnlyAdmin,), delivery_admin)
    )
    delivery_line_admin = {"list_display": [delivery, "order_line", "quantity", "move"]}
    admin.site.register(
        kind.delivery_line_model,
        type(f"{kind.delivery_line_model.__name__}Admin", (ReadOnlyAdmin,), delivery_line_admin),
    )


_register_kind(
    SALES,
    order_columns=["number", "customer", "status", "location", "created_at", "created_by"],
    delivery_columns=["__str__", "order", "shipped_at", "reference", "created_by"],
    actions=[
        _transition(
            "confirm", services.sales_order_confirm, "Confirm the selected orders (reserve stock)", "confirmed"
        ),
        _transition(
            "reserve",
            services.sales_order_reserve,
            "Reserve available stock for the selected orders",
            "reserved what was available",
        ),
        _transition(
            "cancel", services.sales_order_cancel, "Cancel the selected orders (release reservations)", "cancelled"
        ),
    ],
)
_register_kind(
    PURCHASE,
    order_columns=["number", "supplier", "status", "created_at", "sent_at", "created_by"],
    delivery_columns=["__str__", "order", "location", "received_at", "reference", "created_by"],
    actions=[
        _transition("send", services.purchase_order_send, "Mark the selected orders as sent", "sent"),
        _transition("cancel", services.purchase_order_cancel, "Cancel the selected orders", "cancelled"),
    ],
)


# Returns are written by their services only (the order pages and the API: they move stock and reopen the order).
class CustomerReturnLineInline(ReadOnlyInline):
    model = CustomerReturnLine
    fields = ["shipment_line", "quantity", "move"]


@admin.register(CustomerReturn)
class CustomerReturnAdmin(ReadOnlyAdmin):
    list_display = ["__str__", "shipment", "location", "reference", "created_at", "created_by"]
    list_select_related = ["shipment", "location", "created_by"]
    search_fields = ["reference"]
    inlines = [CustomerReturnLineInline]


class SupplierReturnLineInline(ReadOnlyInline):
    model = SupplierReturnLine
    fields = ["receipt_line", "quantity", "move"]


@admin.register(SupplierReturn)
class SupplierReturnAdmin(ReadOnlyAdmin):
    list_display = ["__str__", "receipt", "reference", "created_at", "created_by"]
    list_select_related = ["receipt", "created_by"]
    search_fields = ["reference"]
    inlines = [SupplierReturnLineInline]


@admin.register(IdempotencyRecord)
class IdempotencyRecordAdmin(ReadOnlyAdmin):
    list_display = ["key", "response_status", "created_at"]
    search_fields = ["key"]
    exclude = ["response_body"]
