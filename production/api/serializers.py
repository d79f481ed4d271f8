"""Serializers validate the shape of API input; the production services decide what is allowed."""

from decimal import Decimal

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from core.api_fields import (
    DocumentLinesSerializer,
    PlainDecimalField,
    PlainIntegerField,
    PlainModelSerializer,
    PlainPrimaryKeyRelatedField,
)
from core.numbers import MONEY, QUANTITY
from inventory.api.serializers import LotInputSerializer
from inventory.models import Item, Location
from production.models import Bom, BomLine, CostRollup, CostRollupLine, WorkOrder, WorkOrderComponent


@extend_schema_field({"type": "string", "format": "decimal", "example": "771.12"})
class ExactDecimalField(serializers.Field):
    """A computed quantity, as an exact decimal string without trailing zeros (e.g. "771.12")."""

    def __init__(self, **kwargs) -> None:
        kwargs["read_only"] = True
        super().__init__(**kwargs)

    def to_representation(self, value: Decimal) -> str:
        return f"{Decimal(value).normalize():f}"


class BomLineSerializer(PlainModelSerializer):
    component = PlainPrimaryKeyRelatedField(queryset=Item.objects.all())
    component_sku = serializers.CharField(source="component.sku", read_only=True)
    scrap_percent = PlainDecimalField(max_digits=5, decimal_places=2, required=False, default=0)
    note = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")

    class Meta:
        model = BomLine
        list_serializer_class = DocumentLinesSerializer  # at most DOCUMENT_MAX_LINES; components loaded in one query
        fields = ["id", "position", "component", "component_sku", "quantity", "scrap_percent", "note"]
        read_only_fields = ["id", "position"]


class BomSerializer(PlainModelSerializer):
    """A BOM with its lines; writing `lines` replaces all of them."""

    item = PlainPrimaryKeyRelatedField(queryset=Item.objects.all())
    item_sku = serializers.CharField(source="item.sku", read_only=True)
    lines = BomLineSerializer(many=True)
    note = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")

    class Meta:
        model = Bom
        fields = [
            "id",
            "item",
            "item_sku",
            "version",
            "is_active",
            "note",
            "labour_cost",
            "overhead_cost",
            "cost_basis",
            "batch_size",
            "lines",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["created_at", "updated_at"]
        validators = []  # (item, version) uniqueness is the service's to check, with its own message


class ExplosionRowSerializer(serializers.Serializer):
    depth = PlainIntegerField()
    line_id = PlainIntegerField()
    parent_item_id = PlainIntegerField()
    item_id = PlainIntegerField()
    sku = serializers.CharField()
    name = serializers.CharField()
    uom = serializers.CharField()
    quantity_per = PlainDecimalField(**QUANTITY)
    scrap_percent = PlainDecimalField(max_digits=5, decimal_places=2)
    total_quantity = ExactDecimalField()
    has_bom = serializers.BooleanField()


class LeafSerializer(serializers.Serializer):
    item_id = PlainIntegerField()
    sku = serializers.CharField()
    name = serializers.CharField()
    uom = serializers.CharField()
    total_quantity = ExactDecimalField()


class ExplosionSerializer(serializers.Serializer):
    item = PlainIntegerField(source="item.pk")
    sku = serializers.CharField(source="item.sku")
    quantity = PlainDecimalField(**QUANTITY)
    rows = ExplosionRowSerializer(many=True)
    leaves = LeafSerializer(many=True)


class ExplosionQuerySerializer(serializers.Serializer):
    quantity = PlainDecimalField(**QUANTITY, min_value=0, required=False, default=1)

    def validate_quantity(self, value):
        if value <= 0:
            raise serializers.ValidationError("quantity must be greater than zero")
        return value


class WhereUsedSerializer(serializers.Serializer):
    depth = PlainIntegerField()
    parent_item_id = PlainIntegerField()
    parent_sku = serializers.CharField()
    parent_name = serializers.CharField()
    child_item_id = PlainIntegerField()
    child_sku = serializers.CharField()
    quantity_per = PlainDecimalField(**QUANTITY)
    scrap_percent = PlainDecimalField(max_digits=5, decimal_places=2)
    per_parent_unit = ExactDecimalField()


class WorkOrderComponentSerializer(PlainModelSerializer):
    sku = serializers.CharField(source="item.sku", read_only=True)

    class Meta:
        model = WorkOrderComponent
        fields = ["item", "sku", "required_quantity", "reserved_quantity", "consumed_quantity"]
        read_only_fields = fields


class WorkOrderSerializer(PlainModelSerializer):
    item = PlainPrimaryKeyRelatedField(queryset=Item.objects.all())
    item_sku = serializers.CharField(source="item.sku", read_only=True)
    number = serializers.CharField(max_length=32, required=False, allow_blank=True, default="")
    note = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    location_code = serializers.CharField(source="location.code", read_only=True, default=None)
    created_by = serializers.SlugRelatedField(slug_field="username", read_only=True)
    components = WorkOrderComponentSerializer(many=True, read_only=True)
    actual_cost = PlainDecimalField(**MONEY, read_only=True, help_text="Material + labour + overhead so far.")
    cost_variance = PlainDecimalField(
        **MONEY, read_only=True, help_text="Actual minus standard cost of what was completed (negative: cheaper)."
    )

    class Meta:
        model = WorkOrder
        fields = [
            "id",
            "number",
            "item",
            "item_sku",
            "quantity",
            "completed_quantity",
            "due_date",
            "state",
            "bom",
            "location",
            "location_code",
            "note",
            "components",
            "created_by",
            "created_at",
            "updated_at",
            "released_at",
            "started_at",
            "finished_at",
            "material_cost",
            "labour_cost",
            "overhead_cost",
            "actual_cost",
            "standard_cost",
            "cost_variance",
        ]
        read_only_fields = [
            "material_cost",
            "labour_cost",
            "overhead_cost",
            "standard_cost",
            "completed_quantity",
            "state",
            "bom",
            "location",
            "created_at",
            "updated_at",
            "released_at",
            "started_at",
            "finished_at",
        ]
        validators = []  # number uniqueness is the service's to check


class ReleaseSerializer(serializers.Serializer):
    location = PlainPrimaryKeyRelatedField(
        queryset=Location.objects.all(), required=False, allow_null=True, default=None,
        help_text="Where to reserve components and put finished goods; default: the default receiving location.",
    )  # fmt: skip


class ComponentLotsSerializer(serializers.Serializer):
    item = PlainIntegerField(min_value=1, help_text="Id of the component item")
    lots = LotInputSerializer(many=True)


class CompleteSerializer(serializers.Serializer):
    quantity = PlainDecimalField(
        **QUANTITY, required=False, allow_null=True, default=None, help_text="Finished now; default: all that is left."
    )
    lots = LotInputSerializer(
        many=True,
        required=False,
        help_text="Finished item tracked by lot or serial: its lots; default: a lot named after the work order, or "
        "serials <number>-0001 onwards.",
    )
    component_lots = ComponentLotsSerializer(
        many=True, required=False, help_text="Tracked components: the lots to consume; default: first expiry first out."
    )

    def validate_component_lots(self, value: list[dict]) -> dict[int, list]:
        return {entry["item"]: entry["lots"] for entry in value}


class CostRollupLineSerializer(PlainModelSerializer):
    sku = serializers.CharField(source="item.sku", read_only=True)
    change = PlainDecimalField(**MONEY, read_only=True)

    class Meta:
        model = CostRollupLine
        fields = [
            "item",
            "sku",
            "level",
            "old_cost",
            "material_cost",
            "labour_cost",
            "overhead_cost",
            "new_cost",
            "change",
        ]
        read_only_fields = fields


class CostRollupSerializer(PlainModelSerializer):
    """A roll-up run; creating one runs it (over every active BOM, or `item`'s tree) and sets the standard costs."""

    item = PlainPrimaryKeyRelatedField(
        queryset=Item.objects.all(), required=False, allow_null=True, default=None,
        help_text="Roll up only this item's tree; empty: every item with an active BOM.",
    )  # fmt: skip
    created_by = serializers.SlugRelatedField(slug_field="username", read_only=True)
    lines = CostRollupLineSerializer(many=True, read_only=True)

    class Meta:
        model = CostRollup
        fields = ["id", "item", "item_count", "changed_count", "created_by", "created_at", "lines"]
        read_only_fields = ["item_count", "changed_count", "created_at"]
