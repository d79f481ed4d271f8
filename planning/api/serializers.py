"""Serializers of the planning API: the MRP summary, the time-phased plan, runs and their planned orders."""

from rest_framework import serializers

from core.api_fields import PlainDecimalField, PlainIntegerField
from planning.models import MrpRun, PlannedOrder
from planning.services import MAX_HORIZON_DAYS
from production.api.serializers import QUANTITY, ExactDecimalField


class MrpLineSerializer(serializers.Serializer):
    item_id = PlainIntegerField()
    sku = serializers.CharField()
    name = serializers.CharField()
    uom = serializers.CharField()
    gross_requirement = ExactDecimalField()
    available = PlainDecimalField(**QUANTITY)
    open_supply = ExactDecimalField()
    shortage = ExactDecimalField()
    action = serializers.ChoiceField(choices=["make", "buy"])
    need_date = serializers.DateField()
    suggested_date = serializers.DateField()
    lead_time_days = PlainIntegerField()
    late = serializers.BooleanField()
    sources = serializers.ListField(child=serializers.CharField())


class PlanQuerySerializer(serializers.Serializer):
    """The planning horizon (days from today; empty: all demand) and the bucket size of the grid."""

    horizon_days = PlainIntegerField(required=False, allow_null=True, min_value=1, max_value=MAX_HORIZON_DAYS)
    view = serializers.ChoiceField(choices=["day", "week"], required=False, default="day")


class RunCreateSerializer(serializers.Serializer):
    horizon_days = PlainIntegerField(required=False, allow_null=True, min_value=1, max_value=MAX_HORIZON_DAYS)


class BucketSerializer(serializers.Serializer):
    day = serializers.DateField()
    gross = ExactDecimalField()
    receipts = ExactDecimalField()
    on_hand = ExactDecimalField()
    net = ExactDecimalField()
    planned_receipts = ExactDecimalField()
    planned_releases = ExactDecimalField()


class PegSerializer(serializers.Serializer):
    quantity = ExactDecimalField()
    date = serializers.DateField()
    demand = serializers.CharField()
    planned_order = PlainIntegerField(allow_null=True)
    top = serializers.ListField(child=serializers.CharField())


class ItemPlanSerializer(serializers.Serializer):
    item_id = PlainIntegerField()
    sku = serializers.CharField()
    name = serializers.CharField()
    uom = serializers.CharField()
    procurement = serializers.CharField()
    lead_time_days = PlainIntegerField()
    low_level_code = PlainIntegerField()
    lot_sizing = serializers.CharField()
    safety_stock = ExactDecimalField()
    on_hand = ExactDecimalField()
    buckets = BucketSerializer(many=True)


class PlannedOrderPlanSerializer(serializers.Serializer):
    number = PlainIntegerField()
    item_id = PlainIntegerField()
    sku = serializers.CharField()
    kind = serializers.CharField()
    quantity = ExactDecimalField()
    net = ExactDecimalField()
    release = serializers.DateField()
    due = serializers.DateField()
    pegs = PegSerializer(many=True)


class ReceiptPlanSerializer(serializers.Serializer):
    item_id = PlainIntegerField()
    sku = serializers.CharField()
    label = serializers.CharField()
    quantity = ExactDecimalField()
    due = serializers.DateField()
    in_horizon = serializers.BooleanField()
    pegs = PegSerializer(many=True)


class ExceptionSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=["expedite", "reschedule_in", "reschedule_out", "cancel"])
    item_id = PlainIntegerField()
    sku = serializers.CharField()
    label = serializers.CharField()
    quantity = ExactDecimalField()
    date = serializers.DateField()
    to_date = serializers.DateField(allow_null=True)
    message = serializers.CharField()


class PlanSerializer(serializers.Serializer):
    today = serializers.DateField()
    horizon_days = PlainIntegerField(allow_null=True)
    items = ItemPlanSerializer(many=True)
    planned_orders = PlannedOrderPlanSerializer(many=True)
    receipts = ReceiptPlanSerializer(many=True)
    exceptions = ExceptionSerializer(many=True)


class PlannedOrderSerializer(serializers.ModelSerializer):
    sku = serializers.CharField(source="item.sku")

    class Meta:
        model = PlannedOrder
        fields = ["id", "number", "item", "sku", "kind", "quantity", "net_quantity", "release_date", "due_date", "pegs"]


class MrpRunSerializer(serializers.ModelSerializer):
    class Meta:
        model = MrpRun
        fields = [
            "id", "status", "horizon_days", "planned_for", "created_at", "started_at", "finished_at", "failure",
            "line_count", "late_count", "exception_count", "exceptions", "receipts", "grid",
        ]  # fmt: skip
