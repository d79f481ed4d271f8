"""Django admin for inventory. Units, items and locations are written through their services (core.admin);
stock moves and levels are read-only here: stock changes go through the services."""

from django.contrib import admin, messages
from django.db.models import Model, QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html

from core.admin import ReadOnlyAdmin, ReadOnlyInline, ServiceAdmin
from core.errors import DomainError
from customfields.services import replacing_custom_values
from inventory import services
from inventory.models import (
    Item,
    ItemImport,
    ItemUnitConversion,
    Location,
    Lot,
    LotGenealogy,
    LotLevel,
    ReservationEntry,
    StockLevel,
    StockMove,
    StockMoveLot,
    UnitOfMeasure,
)


@admin.register(UnitOfMeasure)
class UnitOfMeasureAdmin(ServiceAdmin):
    list_display = ["code", "name", "decimals"]
    search_fields = ["code", "name"]

    def service_save(self, request: HttpRequest, current: UnitOfMeasure | None, fields: dict) -> UnitOfMeasure:
        if current is None:
            return services.unit_create(user=request.user, **fields)
        return services.unit_update(unit=current, user=request.user, **fields)

    def service_delete(self, request: HttpRequest, obj: UnitOfMeasure) -> None:
        services.unit_delete(unit=obj, user=request.user)


@admin.register(Item)
class ItemAdmin(ServiceAdmin):
    list_display = ["sku", "name", "kind", "uom", "tracking", "reorder_point", "standard_cost", "is_active"]
    list_filter = ["kind", "tracking", "is_active", "uom"]
    search_fields = ["sku", "name"]
    list_select_related = ["uom"]
    readonly_fields = ["created_at", "updated_at"]

    def service_save(self, request: HttpRequest, current: Item | None, fields: dict) -> Item:
        if current is None:
            return services.item_create(user=request.user, **fields)
        if "attributes" in fields:  # the JSON box holds the whole object: keys taken out of it are removed
            fields["attributes"] = replacing_custom_values(current.attributes, fields["attributes"])
        return services.item_update(item=current, user=request.user, **fields)

    def service_delete(self, request: HttpRequest, obj: Item) -> None:
        services.item_delete(item=obj, user=request.user)


@admin.register(ItemUnitConversion)
class ItemUnitConversionAdmin(ServiceAdmin):
    list_display = ["item", "uom", "factor"]
    list_select_related = ["item", "uom"]
    search_fields = ["item__sku", "uom__code"]

    def get_readonly_fields(self, request: HttpRequest, obj: ItemUnitConversion | None = None) -> list[str]:
        return ["item", "uom"] if obj is not None else []  # only the factor changes

    def service_save(self, request: HttpRequest, current: ItemUnitConversion | None, fields: dict) -> Model:
        if current is None:
            return services.conversion_create(user=request.user, **fields)
        if "factor" not in fields:
            return current
        return services.conversion_update(conversion=current, user=request.user, factor=fields["factor"])

    def service_delete(self, request: HttpRequest, obj: ItemUnitConversion) -> None:
        services.conversion_delete(conversion=obj, user=request.user)


@admin.register(Location)
class LocationAdmin(ServiceAdmin):
    list_display = ["code", "name", "kind", "parent", "is_active", "is_default_receiving"]
    list_filter = ["kind", "is_active"]
    search_fields = ["code", "name"]
    list_select_related = ["parent"]

    def service_save(self, request: HttpRequest, current: Location | None, fields: dict) -> Location:
        if current is None:
            return services.location_create(user=request.user, **fields)
        return services.location_update(location=current, user=request.user, **fields)

    def service_delete(self, request: HttpRequest, obj: Location) -> None:
        services.location_delete(location=obj, user=request.user)


@admin.register(StockLevel)
class StockLevelAdmin(ReadOnlyAdmin):
    list_display = ["item", "location", "on_hand", "reserved"]
    list_select_related = ["item", "location"]
    search_fields = ["item__sku", "location__code"]
    list_filter = ["location"]


@admin.register(StockMove)
class StockMoveAdmin(ReadOnlyAdmin):
    list_display = ["id", "created_at", "item", "reason", "quantity", "from_location", "to_location", "created_by"]
    list_select_related = ["item", "from_location", "to_location", "created_by"]
    list_filter = ["reason"]
    search_fields = ["item__sku", "reference"]
    date_hierarchy = "created_at"
    actions = ["reverse_moves"]  # bulk delete is not offered: nobody has delete permission here

    @admin.action(description="Reverse the selected moves")
    def reverse_moves(self, request: HttpRequest, queryset: QuerySet[StockMove]) -> None:
        for move in queryset.select_related("item", "from_location", "to_location"):
            try:
                reversal = services.stock_move_reverse(move=move, user=request.user)
            except DomainError as exc:
                self.message_user(request, f"move #{move.pk}: {exc.message}", messages.ERROR)
            else:
                self.message_user(request, f"move #{move.pk} reversed by #{reversal.pk}")


@admin.register(ReservationEntry)
class ReservationEntryAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "item", "location", "quantity", "reference", "created_by"]
    list_select_related = ["item", "location", "created_by"]


@admin.register(ItemImport)
class ItemImportAdmin(ReadOnlyAdmin):
    list_display = ["id", "file_name", "status", "processed_rows", "total_rows", "created_count", "updated_count"]
    list_filter = ["status"]
    exclude = ["content"]


class LotLevelInline(ReadOnlyInline):
    model = LotLevel
    fields = ["location", "on_hand"]


class LotMoveInline(ReadOnlyInline):
    model = StockMoveLot
    fields = ["move", "quantity"]
    verbose_name_plural = "moves of this lot"


@admin.register(Lot)
class LotAdmin(ReadOnlyAdmin):
    """Lots and serials are made by receipts and work orders; here they are read, and traced on their page."""

    list_display = ["code", "item", "is_serial", "supplier_lot", "expiry_date", "created_at", "trace"]
    list_select_related = ["item"]
    list_filter = ["is_serial"]
    search_fields = ["code", "supplier_lot", "item__sku"]
    date_hierarchy = "created_at"
    readonly_fields = ["trace"]
    inlines = [LotLevelInline, LotMoveInline]

    @admin.display(description="trace")
    def trace(self, lot: Lot) -> str:
        page = reverse("inventory:lot-detail", args=[lot.pk])
        csv = reverse("inventory:lot-recall-csv", args=[lot.pk])
        return format_html(
            '<a href="{}?direction=forward">forward</a> · <a href="{}?direction=backward">backward</a>'
            ' · <a href="{}?direction=forward">recall CSV</a>',
            page,
            page,
            csv,
        )


@admin.register(LotGenealogy)
class LotGenealogyAdmin(ReadOnlyAdmin):
    list_display = ["id", "consumed_lot", "produced_lot", "quantity", "source_type", "source_id", "created_at"]
    list_select_related = ["consumed_lot__item", "produced_lot__item", "source_type"]
    search_fields = ["consumed_lot__code", "produced_lot__code"]
