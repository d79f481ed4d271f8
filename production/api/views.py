"""Production API: each write validates its input with a serializer and calls one service."""

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from access.roles import Capability
from core import api
from inventory.models import Item
from production import selectors, services
from production.api.serializers import (
    BomSerializer,
    CompleteSerializer,
    CostRollupSerializer,
    ExplosionQuerySerializer,
    ExplosionSerializer,
    ReleaseSerializer,
    WhereUsedSerializer,
    WorkOrderSerializer,
)
from production.models import Bom, WorkOrder
from production.permissions import WORK_ORDER_ACTIONS


def _same_item(instance, data: dict) -> None:
    item = data.pop("item", None)
    if item is not None and item.pk != instance.item_id:
        raise services.ProductionError(
            f"the item of {instance} cannot change; create a new one for {item.sku}", field="item"
        )


class BomViewSet(api.ModelViewSet):
    """Bills of materials with their lines. Writing `lines` replaces them all; a cycle or a bad line is a 400."""

    write_capability = Capability.MASTER_DATA

    queryset = selectors.bom_list()
    serializer_class = BomSerializer
    filterset_fields = ["item", "is_active"]
    search_fields = ["item__sku", "item__name", "version"]
    ordering_fields = ["item__sku", "version", "created_at", "updated_at"]
    ordering = ["item__sku", "version"]

    def perform_create(self, serializer: BomSerializer) -> None:
        bom = services.bom_create(user=self.request.user, **serializer.validated_data)
        serializer.instance = self.get_queryset().get(pk=bom.pk)  # lines and components in two queries

    def perform_update(self, serializer: BomSerializer) -> None:
        data = dict(serializer.validated_data)
        _same_item(serializer.instance, data)
        bom = services.bom_update(bom=serializer.instance, user=self.request.user, **data)
        serializer.instance = self.get_queryset().get(pk=bom.pk)

    def perform_destroy(self, instance: Bom) -> None:
        services.bom_delete(bom=instance, user=self.request.user)


class ExplosionView(api.APIView):
    """The indented tree of N units of an item through active BOMs, and the total per leaf component."""

    @extend_schema(
        parameters=[OpenApiParameter("quantity", float, description="Units to explode (default 1)")],
        responses=ExplosionSerializer,
    )
    def get(self, request: Request, item_id: int) -> Response:
        item = get_object_or_404(Item, pk=item_id)
        query = ExplosionQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        explosion = selectors.bom_explosion(item=item, quantity=query.validated_data["quantity"])
        return Response(ExplosionSerializer(explosion).data)


class WhereUsedView(api.APIView):
    """Every item whose active BOM uses this item, at any depth."""

    @extend_schema(responses=WhereUsedSerializer(many=True))
    def get(self, request: Request, item_id: int) -> Response:
        item = get_object_or_404(Item, pk=item_id)
        return Response(WhereUsedSerializer(selectors.where_used(item=item), many=True).data)


class CostRollupViewSet(mixins.CreateModelMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, api.GenericViewSet):
    """BOM cost roll-up runs. POST runs one (it sets standard costs, so it needs master-data rights); each run keeps
    every item's old and new cost with its material, labour and overhead and its level."""

    write_capability = Capability.MASTER_DATA

    queryset = selectors.cost_rollup_list().prefetch_related("lines__item")
    serializer_class = CostRollupSerializer
    ordering = ["-created_at", "-id"]

    def perform_create(self, serializer: CostRollupSerializer) -> None:
        rollup = services.cost_rollup_run(user=self.request.user, item=serializer.validated_data.get("item"))
        serializer.instance = self.get_queryset().get(pk=rollup.pk)


class WorkOrderViewSet(api.ModelViewSet):
    """Work orders. Create makes a draft; only drafts are edited or deleted; states change through the actions."""

    action_capabilities = WORK_ORDER_ACTIONS

    queryset = selectors.work_order_list().prefetch_related("components__item")
    serializer_class = WorkOrderSerializer
    filterset_fields = ["state", "item", "due_date"]
    search_fields = ["number", "item__sku", "note"]
    ordering_fields = ["number", "due_date", "state", "created_at"]
    ordering = ["-created_at", "-id"]

    def perform_create(self, serializer: WorkOrderSerializer) -> None:
        serializer.instance = services.work_order_create(user=self.request.user, **serializer.validated_data)

    def perform_update(self, serializer: WorkOrderSerializer) -> None:
        data = dict(serializer.validated_data)
        _same_item(serializer.instance, data)
        number = data.pop("number", None)
        if number and number != serializer.instance.number:
            raise services.ProductionError("a work order's number cannot change", field="number")
        serializer.instance = services.work_order_update(work_order=serializer.instance, user=self.request.user, **data)

    def perform_destroy(self, instance: WorkOrder) -> None:
        services.work_order_delete(work_order=instance, user=self.request.user)

    def _respond(self, work_order: WorkOrder) -> Response:
        return Response(WorkOrderSerializer(self.get_queryset().get(pk=work_order.pk)).data)

    @extend_schema(request=ReleaseSerializer, responses=WorkOrderSerializer)
    @action(detail=True, methods=["post"], serializer_class=ReleaseSerializer)
    def release(self, request: Request, pk: str) -> Response:
        """Draft -> released: reserve every component (400 listing each short one if any is missing)."""
        body = ReleaseSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        work_order = self.get_object()
        return self._respond(
            services.work_order_release(work_order=work_order, user=request.user, **body.validated_data)
        )

    @extend_schema(request=None, responses=WorkOrderSerializer)
    @action(detail=True, methods=["post"])
    def start(self, request: Request, pk: str) -> Response:
        """Released -> in progress."""
        return self._respond(services.work_order_start(work_order=self.get_object(), user=request.user))

    @extend_schema(request=CompleteSerializer, responses=WorkOrderSerializer)
    @action(detail=True, methods=["post"], serializer_class=CompleteSerializer)
    def complete(self, request: Request, pk: str) -> Response:
        """Report finished goods (all that is left by default): consumes components, receives the output."""
        body = CompleteSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        work_order = self.get_object()
        return self._respond(
            services.work_order_complete(work_order=work_order, user=request.user, **body.validated_data)
        )

    @extend_schema(request=None, responses=WorkOrderSerializer)
    @action(detail=True, methods=["post"])
    def cancel(self, request: Request, pk: str) -> Response:
        """Cancel an open work order and release what it still reserves."""
        return self._respond(services.work_order_cancel(work_order=self.get_object(), user=request.user))

    @extend_schema(request=None, responses=WorkOrderSerializer)
    @action(detail=True, methods=["post"])
    def uncomplete(self, request: Request, pk: str) -> Response:
        """Undo every completion: reverse the output and consumption moves, reserve the components again; the work
        order is back in progress. 400 when the finished goods are no longer there."""
        return self._respond(services.work_order_uncomplete(work_order=self.get_object(), user=request.user))
