"""Inventory API viewsets: each write validates its input with a serializer and calls one service."""

from django.db.models import F, QuerySet, Sum
from django.db.models.functions import Coalesce
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, status
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from access.roles import Capability
from core import api
from core.api_reads import PreparedFirstPage
from inventory import selectors, services, traceability
from inventory.api.serializers import (
    ConversionSerializer,
    ItemSerializer,
    LocationSerializer,
    LotSerializer,
    ReorderLineSerializer,
    StockCountSerializer,
    StockLevelSerializer,
    StockMoveReverseSerializer,
    StockMoveSerializer,
    TraceQuerySerializer,
    TraceSerializer,
    UnitSerializer,
    ValuationQuerySerializer,
    ValuationSerializer,
)
from inventory.filters import ItemFilter, LocationFilter, LotFilter, StockLevelFilter, StockMoveFilter
from inventory.models import ZERO, Item, ItemUnitConversion, Location, Lot, StockLevel, UnitOfMeasure


class UnitViewSet(api.ModelViewSet):
    write_capability = Capability.MASTER_DATA
    queryset = UnitOfMeasure.objects.all()
    serializer_class = UnitSerializer
    search_fields = ["code", "name"]
    ordering_fields = ["code", "name"]
    filterset_fields = ["code"]

    def perform_create(self, serializer: UnitSerializer) -> None:
        serializer.instance = services.unit_create(user=self.request.user, **serializer.validated_data)

    def perform_update(self, serializer: UnitSerializer) -> None:
        services.unit_update(unit=serializer.instance, user=self.request.user, **serializer.validated_data)

    def perform_destroy(self, instance: UnitOfMeasure) -> None:
        services.unit_delete(unit=instance, user=self.request.user)


@extend_schema_view(
    list=extend_schema(
        description="Items, filtered by the fields below and by custom fields: `?cf_<key>=<value>` (one parameter per "
        "custom field of items, e.g. `?cf_colour=red&cf_hazardous=true`; all must match). The value is read by the "
        "field's type (a number as 12.5, a date as YYYY-MM-DD, yes/no as true/false) and matched exactly; an "
        "undefined key or a value its type refuses is a 400 on `cf_<key>`."
    )
)
class ItemViewSet(PreparedFirstPage, api.ModelViewSet):
    write_capability = Capability.MASTER_DATA
    queryset = Item.objects.select_related("uom")
    serializer_class = ItemSerializer
    filterset_class = ItemFilter
    search_fields = ["sku", "name", "description"]
    ordering_fields = ["sku", "name", "kind", "reorder_point", "standard_cost", "created_at", "updated_at"]
    ordering = ["sku"]

    def filter_queryset(self, queryset: QuerySet[Item]) -> QuerySet[Item]:
        queryset = super().filter_queryset(queryset)
        if self.action == "list":
            queryset = selectors.items_with_custom_values(queryset, self.request.query_params)
        return queryset

    def perform_create(self, serializer: ItemSerializer) -> None:
        serializer.instance = services.item_create(user=self.request.user, **serializer.validated_data)

    def perform_update(self, serializer: ItemSerializer) -> None:
        services.item_update(item=serializer.instance, user=self.request.user, **serializer.validated_data)

    def perform_destroy(self, instance: Item) -> None:
        services.item_delete(item=instance, user=self.request.user)


class ConversionViewSet(api.ModelViewSet):
    """Other units an item is bought or sold in; the item and unit are fixed once created (only the factor changes)."""

    write_capability = Capability.MASTER_DATA
    queryset = ItemUnitConversion.objects.select_related("item__uom", "uom")
    serializer_class = ConversionSerializer
    filterset_fields = ["item", "uom"]
    ordering_fields = ["item", "uom", "factor"]
    ordering = ["item", "uom"]

    def perform_create(self, serializer: ConversionSerializer) -> None:
        serializer.instance = services.conversion_create(user=self.request.user, **serializer.validated_data)

    def perform_update(self, serializer: ConversionSerializer) -> None:
        data = dict(serializer.validated_data)
        conversion = serializer.instance
        for name in ("item", "uom"):
            if name in data and data.pop(name).pk != getattr(conversion, f"{name}_id"):
                raise services.InventoryError(
                    f"a conversion's {name} does not change; delete it and add another", field=name
                )
        if "factor" in data:
            services.conversion_update(conversion=conversion, user=self.request.user, factor=data["factor"])

    def perform_destroy(self, instance: ItemUnitConversion) -> None:
        services.conversion_delete(conversion=instance, user=self.request.user)


class LocationViewSet(api.ModelViewSet):
    write_capability = Capability.MASTER_DATA
    queryset = Location.objects.all()
    serializer_class = LocationSerializer
    filterset_class = LocationFilter
    search_fields = ["code", "name"]
    ordering_fields = ["code", "name", "kind"]
    ordering = ["code"]

    def perform_create(self, serializer: LocationSerializer) -> None:
        serializer.instance = services.location_create(user=self.request.user, **serializer.validated_data)

    def perform_update(self, serializer: LocationSerializer) -> None:
        services.location_update(location=serializer.instance, user=self.request.user, **serializer.validated_data)

    def perform_destroy(self, instance: Location) -> None:
        services.location_delete(location=instance, user=self.request.user)


class StockLevelViewSet(PreparedFirstPage, api.ReadOnlyModelViewSet):
    """On hand, reserved and available per item and location."""

    queryset = StockLevel.objects.select_related("item", "location").annotate(
        available_quantity=F("on_hand") - F("reserved")
    )
    serializer_class = StockLevelSerializer
    filterset_class = StockLevelFilter
    search_fields = ["item__sku", "item__name", "location__code"]
    ordering_fields = ["item__sku", "location__code", "on_hand", "reserved", "available_quantity"]
    ordering = ["item__sku", "location__code"]


class StockMoveViewSet(
    PreparedFirstPage, mixins.CreateModelMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, api.GenericViewSet
):
    """The ledger: post moves and list them. Moves are never changed; reverse one to correct it."""

    write_capability = Capability.STOCK

    queryset = selectors.move_list()
    serializer_class = StockMoveSerializer
    filterset_class = StockMoveFilter
    search_fields = ["reference", "item__sku"]
    ordering_fields = ["created_at", "quantity", "item__sku", "reason"]
    ordering = ["-created_at", "-id"]

    def perform_create(self, serializer: StockMoveSerializer) -> None:
        serializer.instance = services.stock_move_post(user=self.request.user, **serializer.validated_data)

    @extend_schema(request=StockCountSerializer, responses={201: StockMoveSerializer, 200: None})
    @action(detail=False, methods=["post"], serializer_class=StockCountSerializer)
    def count(self, request: Request) -> Response:
        """Record a stock count: the difference to on hand is posted as an adjustment move (none if equal)."""
        serializer = StockCountSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        move = services.stock_adjust(user=request.user, **serializer.validated_data)
        if move is None:
            return Response({"detail": "the count equals on hand; nothing was posted"}, status=status.HTTP_200_OK)
        return Response(StockMoveSerializer(move).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=StockMoveReverseSerializer, responses={201: StockMoveSerializer})
    @action(detail=True, methods=["post"], serializer_class=StockMoveReverseSerializer)
    def reverse(self, request: Request, pk: str) -> Response:
        """Post the reversing move of this move."""
        serializer = StockMoveReverseSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        move = services.stock_move_reverse(move=self.get_object(), user=request.user, **serializer.validated_data)
        return Response(StockMoveSerializer(move).data, status=status.HTTP_201_CREATED)


class LotViewSet(api.ReadOnlyModelViewSet):
    """Lots and serial numbers (made by receipts and work orders), with their trace."""

    queryset = Lot.objects.select_related("item").annotate(on_hand_total=Coalesce(Sum("levels__on_hand"), ZERO))
    serializer_class = LotSerializer
    filterset_class = LotFilter
    search_fields = ["code", "supplier_lot", "item__sku"]
    ordering_fields = ["code", "expiry_date", "created_at", "item__sku"]
    ordering = ["item__sku", "code"]

    @extend_schema(parameters=[TraceQuerySerializer], responses=TraceSerializer)
    @action(detail=True, methods=["get"])
    def trace(self, request: Request, pk: str) -> Response:
        """Forward: every lot made from this one, at any depth, and the shipments and customers that got them.
        Backward: every lot that went into this one and the receipts and suppliers they came from."""
        query = TraceQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        lot = self.get_object()
        trace = traceability.lot_trace(lot_id=lot.pk, direction=query.validated_data["direction"])
        return Response(TraceSerializer(trace).data)


class ReorderReportView(api.APIView):
    """Active items whose available + on-order quantity is below their reorder point."""

    @extend_schema(responses=ReorderLineSerializer(many=True))
    def get(self, request: Request) -> Response:
        return Response(ReorderLineSerializer(selectors.reorder_report(), many=True).data)


class ValuationView(api.APIView):
    """The stock of every item and its value at moving-average cost, now or at the end of a past `date`, summed from
    the value ledger."""

    @extend_schema(
        parameters=[OpenApiParameter("date", OpenApiTypes.DATE, description="Value at the end of this day")],
        responses=ValuationSerializer,
    )
    def get(self, request: Request) -> Response:
        query = ValuationQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        day = query.validated_data["date"]
        valuation = selectors.stock_valuation(at=selectors.end_of_day(day) if day is not None else None)
        return Response(ValuationSerializer(valuation).data)
