"""Serializers of the planning API: the MRP summary, the time-phased plan, runs and their planned orders."""

from rest_framework import serializers

from core.api_fields import PlainDecimalField, PlainIntegerField
from core.validators import validate_plan_date
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
    label = serializers.CharField(read_only=True)
    purchase_order_number = serializers.SerializerMethodField()
    work_order_number = serializers.CharField(source="work_order.number", default=None, read_only=True)

    class Meta:
        model = PlannedOrder
        fields = [
            "id", "label", "run", "number", "item", "sku", "kind", "status", "quantity", "net_quantity",
            "release_date", "due_date", "pegs", "firmed_at", "converted_at", "purchase_order",
            "purchase_order_number", "work_order", "work_order_number",
        ]  # fmt: skip

    def get_purchase_order_number(self, order: PlannedOrder) -> str | None:
        return order.purchase_order.number if order.purchase_order_id else None


class PlannedOrderChangeSerializer(serializers.Serializer):
    """What a planner changes on a planned order (which firms it); the service checks the unit and the dates."""

    quantity = PlainDecimalField(**QUANTITY, required=False)
    due_date = serializers.DateField(required=False, validators=[validate_plan_date])
    release_date = serializers.DateField(required=False, validators=[validate_plan_date])

    def validate_quantity(self, value):
        if value <= 0:
            raise serializers.ValidationError("A quantity is greater than zero.")
        return value

    def validate(self, attrs: dict) -> dict:
        if not attrs:
            raise serializers.ValidationError({"quantity": ["Give a quantity, a due date or a release date."]})
        return attrs


class PlannedOrderIdsSerializer(serializers.Serializer):
    ids = serializers.ListField(child=PlainIntegerField(min_value=1), min_length=1, max_length=500)


class ConvertedDocumentSerializer(serializers.Serializer):
    id = PlainIntegerField()
    number = serializers.CharField()


class PlannedOrderConversionSerializer(serializers.Serializer):
    purchase_orders = ConvertedDocumentSerializer(many=True)
    work_orders = ConvertedDocumentSerializer(many=True)
    planned_orders = PlannedOrderSerializer(many=True)


class MrpRunSerializer(serializers.ModelSerializer):
    class Meta:
        model = MrpRun
        fields = [
            "id", "status", "horizon_days", "planned_for", "created_at", "started_at", "finished_at", "failure",
            "line_count", "late_count", "exception_count", "exceptions", "receipts", "grid",
            "created_by", "inputs", "previous_run", "comparison",
        ]  # fmt: skip
