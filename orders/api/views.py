"""Orders API: each write validates its input with a serializer and calls one service.

Every POST (creates and state-change actions) honours an `Idempotency-Key` header (core.api, core.idempotency).
"""

from collections.abc import Callable
from typing import Any

from django.db.models import F, Model, Prefetch, QuerySet
from django.http import Http404
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.serializers import Serializer

from access.roles import Capability
from core import api, prepared
from customfields.selectors import with_custom_values
from orders import selectors, services
from orders.api.serializers import (
    CustomerReturnSerializer,
    DashboardSerializer,
    LateShipmentSerializer,
    PartnerSerializer,
    PurchaseOrderSerializer,
    ReasonSerializer,
    ReceiptSerializer,
    SalesOrderSerializer,
    ShipmentSerializer,
    SupplierItemSerializer,
    SupplierLatenessSerializer,
    SupplierReturnSerializer,
)
from orders.filters import PartnerFilter, PurchaseOrderFilter, SalesOrderFilter
from orders.models import (
    Partner,
    Receipt,
    Shipment,
    SupplierItem,
)
from orders.permissions import ORDER_ACTIONS
from orders.services import engine
from orders.services.engine import OrderKind
from orders.services.purchase import PURCHASE
from orders.services.sales import SALES


class CreateListRetrieveViewSet(
    mixins.CreateModelMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, api.GenericViewSet
):
    pass


class PartnerViewSet(api.ModelViewSet):
    write_capability = Capability.MASTER_DATA
    queryset = Partner.objects.all()
    serializer_class = PartnerSerializer
    filterset_class = PartnerFilter
    search_fields = ["code", "name", "contact_name", "email"]
    ordering_fields = ["code", "name", "created_at"]
    ordering = ["code"]
    http_method_names = ["get", "post", "put", "patch", "head", "options"]  # deactivate instead of deleting

    def filter_queryset(self, queryset: QuerySet) -> QuerySet:
        queryset = super().filter_queryset(queryset)
        if self.action == "list":
            params = self.request.query_params
            queryset = with_custom_values(queryset, entity="partner", column="custom_fields", params=params)
        return queryset

    def perform_create(self, serializer: PartnerSerializer) -> None:
        serializer.instance = services.partner_create(user=self.request.user, **serializer.validated_data)

    def perform_update(self, serializer: PartnerSerializer) -> None:
        services.partner_update(partner=serializer.instance, user=self.request.user, **serializer.validated_data)


class SupplierItemViewSet(api.ModelViewSet):
    """Supplier prices: per supplier and item a unit price, a lead time, a minimum; one supplier preferred per item
    (converting planned buys orders from it). Filter with ?item=<id> or ?supplier=<id>."""

    write_capability = Capability.MASTER_DATA
    queryset = SupplierItem.objects.select_related("supplier", "item").order_by("item__sku", "supplier__code")
    serializer_class = SupplierItemSerializer
    filterset_fields = ["item", "supplier", "is_preferred"]
    ordering_fields = ["unit_price", "lead_time_days", "created_at"]
    http_method_names = ["get", "post", "put", "patch", "delete", "head", "options"]

    def perform_create(self, serializer: SupplierItemSerializer) -> None:
        serializer.instance = services.supplier_item_create(user=self.request.user, **serializer.validated_data)

    def perform_update(self, serializer: SupplierItemSerializer) -> None:
        services.supplier_item_update(
            supplier_item=serializer.instance, user=self.request.user, **serializer.validated_data
        )

    def perform_destroy(self, instance: SupplierItem) -> None:
        services.supplier_item_delete(supplier_item=instance, user=self.request.user)


class _OrderViewSet(mixins.UpdateModelMixin, CreateListRetrieveViewSet):
    """Orders of one kind (`kind`, the order engine's description) with their lines: create makes a draft, PUT/PATCH
    change it while it is one, and each state change is a POST action answering with the order.
    """

    kind: OrderKind
    line_queryset: QuerySet  # the lines a listed order answers with (the prefetch's queryset)
    action_capabilities = ORDER_ACTIONS
    ordering = ["-created_at", "-id"]

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        # The answer names the partner and a line's item by id (read off the `_id` column) and shows the item's SKU
        # and the author's username: those two columns are joined (the serializers' JoinedColumnField reads them),
        # no item or user is loaded.
        partner = cls.kind.partner_field
        lines = cls.kind.line_model.objects.annotate(item_sku=F("item__sku"))
        cls.line_queryset = lines
        cls.queryset = cls.kind.model._default_manager.annotate(
            created_by_username=F("created_by__username")
        ).prefetch_related(Prefetch("lines", queryset=lines))
        cls.search_fields = [f"{partner}__code", f"{partner}__name", cls.kind.reference_field]
        cls.ordering_fields = ["created_at", "status", f"{partner}__code"]

    def filter_queryset(self, queryset: QuerySet) -> QuerySet:
        queryset = super().filter_queryset(queryset)
        if self.action == "list":
            entity, params = self.kind.audit_name, self.request.query_params
            queryset = with_custom_values(queryset, entity=entity, column="custom_fields", params=params)
        return queryset

    def prepared_head(self, queryset: QuerySet, n: int) -> list[Model]:
        """The first `n` orders of an unfiltered list and their lines, each read a prepared statement (core.api_reads
        calls this only for a request without query parameters, whose `queryset` is the same for every request)."""
        name = type(self).__name__
        orders = prepared.objects(("orders.api.head", name, n), lambda: queryset.prefetch_related(None)[:n])
        return self._with_prepared_lines(orders)

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """One order: without query parameters, read as the list reads its first page (prepared statements, the
        same checks: not found is DRF's 404, the object permissions are asked)."""
        if request.query_params:
            return super().retrieve(request, *args, **kwargs)
        pk = int(kwargs[self.lookup_url_kwarg or self.lookup_field])  # IdRouter: digits only
        model = self.kind.model
        found = prepared.by_id(
            ("orders.api.detail", type(self).__name__),
            lambda pk: self.filter_queryset(self.get_queryset()).prefetch_related(None).filter(pk=pk),
            pk,
        )
        if not found:  # the words of DRF's get_object_or_404
            raise Http404(f"No {model._meta.object_name} matches the given query.")
        order = self._with_prepared_lines(found)[0]
        self.check_object_permissions(request, order)
        return Response(self.get_serializer(order).data)

    def _with_prepared_lines(self, orders: list[Model]) -> list[Model]:
        """`orders`, each holding its lines, read by one prepared statement per number of orders.

        Django's prefetch compiles the lines' query and builds a related manager and queryset per order to hold them
        (2.3 ms of CPU for 20 orders); here each order holds the list of its own, which is what the serializer reads
        (`order.lines.all()`)."""
        ids = [order.pk for order in orders]
        lines = (
            prepared.objects(
                ("orders.api.lines", type(self).__name__, len(ids)),
                lambda *ids: self.line_queryset.filter(order__in=ids),
                *ids,
            )
            if ids
            else []
        )
        by_order: dict[int, list[Model]] = {order.pk: [] for order in orders}
        for line in lines:
            by_order[line.order_id].append(line)
        order_field = self.kind.line_model._meta.get_field("order")
        for order in orders:
            own = by_order[order.pk]
            for line in own:
                order_field.set_cached_value(line, order)
            order._prefetched_objects_cache = {"lines": own}
        return orders

    def perform_create(self, serializer: Serializer) -> None:
        data = dict(serializer.validated_data)
        order = engine.order_create(
            self.kind, partner=data.pop(self.kind.partner_field), user=self.request.user, **data
        )
        serializer.instance = self.get_queryset().get(pk=order.pk)  # lines and items in two queries, not one a line

    def perform_update(self, serializer: Serializer) -> None:
        """A draft only; `lines`, when sent, replace the order's lines."""
        order = engine.order_update(
            self.kind, order=serializer.instance, user=self.request.user, **serializer.validated_data
        )
        serializer.instance = self.get_queryset().get(pk=order.pk)

    def _answer(self, order: Model) -> Response:
        return Response(self.get_serializer(self.get_queryset().get(pk=order.pk)).data)

    @extend_schema(request=ReasonSerializer)
    @action(detail=True, methods=["post"])
    def cancel(self, request: Request, pk: str) -> Response:
        body = ReasonSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        order = engine.order_cancel(self.kind, order=self.get_object(), user=request.user, **body.validated_data)
        return self._answer(order)


def _release_action(name: str, description: str) -> Callable[..., Response]:
    """The POST action that releases a draft (a sales order's confirm, a purchase order's send)."""

    def release(self: _OrderViewSet, request: Request, pk: str) -> Response:
        return self._answer(engine.order_release(self.kind, order=self.get_object(), user=request.user))

    release.__name__ = release.__qualname__ = name
    release.__doc__ = description
    return extend_schema(request=None)(action(detail=True, methods=["post"])(release))


@extend_schema_view(cancel=extend_schema(description="Cancel the order and release its reservations."))
class SalesOrderViewSet(_OrderViewSet):
    """Sales orders with their lines. Create makes a draft (PUT/PATCH change it while it is one); confirm reserves
    stock; ship with POST /shipments/.
    """

    kind = SALES
    serializer_class = SalesOrderSerializer
    filterset_class = SalesOrderFilter
    confirm = _release_action("confirm", "Draft -> confirmed: reserve available stock at the ship-from location.")

    @extend_schema(request=None, responses=SalesOrderSerializer)
    @action(detail=True, methods=["post"])
    def reserve(self, request: Request, pk: str) -> Response:
        """Reserve what has become available for the order's unreserved open quantities."""
        return self._answer(services.sales_order_reserve(order=self.get_object(), user=request.user))


class ShipmentViewSet(CreateListRetrieveViewSet):
    """Shipments: POST ships open quantities of a confirmed order and posts one shipment stock move per line."""

    write_capability = ORDER_ACTIONS["ship"]

    queryset = Shipment.objects.select_related("created_by").prefetch_related("lines__order_line")
    serializer_class = ShipmentSerializer
    filterset_fields = ["order"]
    ordering = ["-shipped_at", "-id"]

    action_capabilities = {"return_goods": ORDER_ACTIONS["return"]}

    def perform_create(self, serializer: ShipmentSerializer) -> None:
        serializer.instance = services.shipment_create(user=self.request.user, **serializer.validated_data)

    @extend_schema(request=CustomerReturnSerializer, responses={201: CustomerReturnSerializer})
    @action(detail=True, methods=["post"], url_path="return", serializer_class=CustomerReturnSerializer)
    def return_goods(self, request: Request, pk: str) -> Response:
        """The customer returns goods of this shipment: stock comes back, the order's shipped quantities go down."""
        body = CustomerReturnSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        document = services.customer_return_create(shipment=self.get_object(), user=request.user, **body.validated_data)
        return Response(CustomerReturnSerializer(document).data, status=201)


@extend_schema_view(cancel=extend_schema(description="Cancel the order: nothing more is expected from it."))
class PurchaseOrderViewSet(_OrderViewSet):
    """Purchase orders with their lines. Create makes a draft; send; receive with POST /receipts/."""

    kind = PURCHASE
    serializer_class = PurchaseOrderSerializer
    filterset_class = PurchaseOrderFilter
    send = _release_action("send", "Draft -> sent: its open quantities now count as on order.")


class ReceiptViewSet(CreateListRetrieveViewSet):
    """Receipts: POST receives open quantities of a sent order into a location (one receipt move per line)."""

    write_capability = ORDER_ACTIONS["receive"]

    queryset = Receipt.objects.select_related("created_by", "location").prefetch_related("lines__order_line")
    serializer_class = ReceiptSerializer
    filterset_fields = ["order", "location"]
    ordering = ["-received_at", "-id"]

    action_capabilities = {"return_goods": ORDER_ACTIONS["return"]}

    def perform_create(self, serializer: ReceiptSerializer) -> None:
        serializer.instance = services.receipt_create(user=self.request.user, **serializer.validated_data)

    @extend_schema(request=SupplierReturnSerializer, responses={201: SupplierReturnSerializer})
    @action(detail=True, methods=["post"], url_path="return", serializer_class=SupplierReturnSerializer)
    def return_goods(self, request: Request, pk: str) -> Response:
        """Return goods of this receipt to the supplier: stock leaves (it must still be there), the order's received
        quantities go down."""
        body = SupplierReturnSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        document = services.supplier_return_create(receipt=self.get_object(), user=request.user, **body.validated_data)
        return Response(SupplierReturnSerializer(document).data, status=201)


class DashboardView(api.APIView):
    """Open orders: counts per status, open value, lines due this week and lines late."""

    @extend_schema(responses=DashboardSerializer)
    def get(self, request: Request) -> Response:
        return Response(DashboardSerializer(selectors.dashboard()).data)


class LateShipmentsView(api.APIView):
    """Open sales lines past their promised date, most late first."""

    @extend_schema(responses=LateShipmentSerializer(many=True))
    def get(self, request: Request) -> Response:
        return Response(LateShipmentSerializer(selectors.late_shipments(), many=True).data)


class SupplierLatenessView(api.APIView):
    """Per supplier: late receipts, average days late, open lines overdue."""

    @extend_schema(responses=SupplierLatenessSerializer(many=True))
    def get(self, request: Request) -> Response:
        return Response(SupplierLatenessSerializer(selectors.supplier_lateness(), many=True).data)
