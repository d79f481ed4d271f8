"""Planning API: the material requirements summary, the time-phased plan, and MRP runs with their planned orders."""

from dataclasses import asdict

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response

from access.roles import Capability
from core import api
from planning import engine, services
from planning.api.serializers import (
    MrpLineSerializer,
    MrpRunSerializer,
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
        orders = PlannedOrder.objects.filter(run=run).select_related("item")
        return Response(PlannedOrderSerializer(orders, many=True).data)
