"""Planning API: the material requirements summary, the time-phased plan, and MRP runs with their planned orders."""

from dataclasses import asdict

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.exceptions import NotFound
from rest_framework.request import Request
from rest_framework.response import Response

from access.roles import Capability
from core import api
from planning import engine, services
from planning.api.serializers import (
    MrpLineSerializer,
    MrpRunSerializer,
    PlannedOrderChangeSerializer,
    PlannedOrderConversionSerializer,
    PlannedOrderIdsSerializer,
    PlannedOrderSerializer,
    PlanQuerySerializer,
    PlanSerializer,
    RunCreateSerializer,
)
from planning.models import MrpRun, PlannedOrder


def _query(request: Request) -> dict:
    query = PlanQuerySerializer(data=request.query_params)
    query.is_valid(raise_exception=True)
    return query.validated_data


class MrpReportView(api.APIView):
    """Per item with planned orders: its gross requirement, net shortage, make/buy and first order date."""

    @extend_schema(parameters=[PlanQuerySerializer], responses=MrpLineSerializer(many=True))
    def get(self, request: Request) -> Response:
        horizon = _query(request).get("horizon_days")
        return Response(MrpLineSerializer(engine.mrp_report(horizon_days=horizon), many=True).data)


class MrpPlanView(api.APIView):
    """The time-phased plan computed now: per item its daily (or weekly) buckets, the planned orders and open
    orders with what they are pegged to, and the exception messages."""

    @extend_schema(parameters=[PlanQuerySerializer], responses=PlanSerializer)
    def get(self, request: Request) -> Response:
        query = _query(request)
        plan = engine.mrp_plan(horizon_days=query.get("horizon_days"))
        data = asdict(plan)
        if query["view"] == "week":
            for item, item_data in zip(plan.items, data["items"], strict=True):
                item_data["buckets"] = [asdict(bucket) for bucket in item.weeks()]
        return Response(PlanSerializer(data).data)


class MrpRunListView(api.APIView):
    """Start an MRP run (computed in the background); its result is read from the run."""

    write_capability = Capability.PLANNING

    @extend_schema(request=RunCreateSerializer, responses={201: MrpRunSerializer})
    def post(self, request: Request) -> Response:
        body = RunCreateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        run = services.mrp_run_create(user=request.user, horizon_days=body.validated_data.get("horizon_days"))
        return Response(MrpRunSerializer(run).data, status=status.HTTP_201_CREATED)


class MrpRunDetailView(api.APIView):
    @extend_schema(responses=MrpRunSerializer)
    def get(self, request: Request, pk: int) -> Response:
        return Response(MrpRunSerializer(get_object_or_404(MrpRun, pk=pk)).data)


class PlannedOrderListView(api.APIView):
    """The planned orders of a run, with their pegs: what a later step firms or converts."""

    @extend_schema(responses=PlannedOrderSerializer(many=True))
    def get(self, request: Request, pk: int) -> Response:
        run = get_object_or_404(MrpRun.objects.only("pk"), pk=pk)
        orders = PlannedOrder.objects.filter(run=run).select_related(*RELATED)
        return Response(PlannedOrderSerializer(orders, many=True).data)


RELATED = ("item", "purchase_order", "work_order")


def _selected(request: Request) -> list[PlannedOrder]:
    """The planned orders named by `ids`; an id this tenant does not have is a 404 (as on the detail routes)."""
    body = PlannedOrderIdsSerializer(data=request.data)
    body.is_valid(raise_exception=True)
    ids = set(body.validated_data["ids"])
    orders = list(PlannedOrder.objects.filter(pk__in=ids).only("pk"))
    if len(orders) != len(ids):
        missing = sorted(ids - {order.pk for order in orders})
        raise NotFound(f"no planned order {', '.join(map(str, missing))}")
    return orders


def _converted(conversion: services.Conversion) -> Response:
    data = {
        "purchase_orders": [{"id": order.pk, "number": order.number} for order in conversion.purchase_orders],
        "work_orders": [{"id": order.pk, "number": order.number} for order in conversion.work_orders],
        "planned_orders": PlannedOrderSerializer(conversion.planned_orders, many=True).data,
    }
    return Response(data, status=status.HTTP_201_CREATED)  # the shape of PlannedOrderConversionSerializer


class FirmPlannedOrderListView(api.APIView):
    """Firm planned orders: the planner's, kept by every run until converted."""

    @extend_schema(responses=PlannedOrderSerializer(many=True))
    def get(self, request: Request) -> Response:
        orders = PlannedOrder.objects.filter(status=PlannedOrder.Status.FIRM).select_related(*RELATED).order_by("pk")
        return Response(PlannedOrderSerializer(orders, many=True).data)


class PlannedOrderDetailView(api.APIView):
    """One planned order; PATCH changes its quantity or dates (and firms it)."""

    write_capability = Capability.PLANNING

    @extend_schema(responses=PlannedOrderSerializer)
    def get(self, request: Request, pk: int) -> Response:
        return Response(
            PlannedOrderSerializer(get_object_or_404(PlannedOrder.objects.select_related(*RELATED), pk=pk)).data
        )

    @extend_schema(request=PlannedOrderChangeSerializer, responses=PlannedOrderSerializer)
    def patch(self, request: Request, pk: int) -> Response:
        order = get_object_or_404(PlannedOrder, pk=pk)
        body = PlannedOrderChangeSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        services.planned_order_update(planned_order=order, user=request.user, **body.validated_data)
        return Response(PlannedOrderSerializer(PlannedOrder.objects.select_related(*RELATED).get(pk=pk)).data)


class PlannedOrderFirmView(api.APIView):
    """Firm one planned order of the latest run: later runs keep it."""

    write_capability = Capability.PLANNING

    @extend_schema(request=None, responses=PlannedOrderSerializer, operation_id="mrp_planned_order_firm")
    def post(self, request: Request, pk: int) -> Response:
        order = services.planned_order_firm(planned_order=get_object_or_404(PlannedOrder, pk=pk), user=request.user)
        return Response(PlannedOrderSerializer(PlannedOrder.objects.select_related(*RELATED).get(pk=order.pk)).data)


class PlannedOrderConvertView(api.APIView):
    """Convert one planned order: a buy into a draft purchase order, a make into a draft work order."""

    write_capability = Capability.PLANNING

    @extend_schema(
        request=None, responses={201: PlannedOrderConversionSerializer}, operation_id="mrp_planned_order_convert"
    )
    def post(self, request: Request, pk: int) -> Response:
        order = get_object_or_404(PlannedOrder, pk=pk)
        return _converted(services.planned_orders_convert(planned_orders=[order], user=request.user))


class PlannedOrdersFirmView(api.APIView):
    """Firm the planned orders named by `ids`, together."""

    write_capability = Capability.PLANNING

    @extend_schema(
        request=PlannedOrderIdsSerializer,
        responses=PlannedOrderSerializer(many=True),
        operation_id="mrp_planned_orders_firm",
    )
    def post(self, request: Request) -> Response:
        orders = services.planned_orders_firm(planned_orders=_selected(request), user=request.user)
        fresh = PlannedOrder.objects.filter(pk__in=[order.pk for order in orders]).select_related(*RELATED)
        return Response(PlannedOrderSerializer(fresh.order_by("pk"), many=True).data)


class PlannedOrdersConvertView(api.APIView):
    """Convert the planned orders named by `ids` in one transaction: buys grouped into one draft purchase order per
    preferred supplier, makes into draft work orders. One line that cannot be converted refuses them all (400)."""

    write_capability = Capability.PLANNING

    @extend_schema(
        request=PlannedOrderIdsSerializer,
        responses={201: PlannedOrderConversionSerializer},
        operation_id="mrp_planned_orders_convert",
    )
    def post(self, request: Request) -> Response:
        return _converted(services.planned_orders_convert(planned_orders=_selected(request), user=request.user))
