"""Serializers validate the shape of API input; the services decide what is allowed."""

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from core.api_fields import PlainDecimalField, PlainIntegerField, PlainModelSerializer, PlainPrimaryKeyRelatedField
from core.numbers import QUANTITY
from inventory.models import Item, Location, StockLevel, StockMove, UnitOfMeasure


class UnitSerializer(PlainModelSerializer):
    class Meta:
        model = UnitOfMeasure
        fields = ["id", "code", "name"]


class ItemSerializer(PlainModelSerializer):
    uom = serializers.SlugRelatedField(slug_field="code", queryset=UnitOfMeasure.objects.all(), help_text="Unit code")

    class Meta:
        model = Item
        fields = [
            "id",
            "sku",
            "name",
            "description",
            "uom",
            "kind",
            "reorder_point",
            "reorder_quantity",
            "lead_time_days",
            "standard_cost",
            "is_active",
            "attributes",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["created_at", "updated_at"]
        extra_kwargs = {
            "reorder_point": {"min_value": 0},
            "reorder_quantity": {"min_value": 0},
            "standard_cost": {"min_value": 0},
        }

    def validate_attributes(self, value: object) -> dict:
        if not isinstance(value, dict):
            raise serializers.ValidationError('attributes must be a JSON object, e.g. {"colour": "red"}')
        return value


class LocationSerializer(PlainModelSerializer):
    class Meta:
        model = Location
        fields = ["id", "code", "name", "kind", "parent", "is_active", "is_default_receiving"]
        # Naming a new default receiving location takes the role from the old one (location_update does it).
        extra_kwargs = {"is_default_receiving": {"validators": []}}


class StockLevelSerializer(PlainModelSerializer):
    item_sku = serializers.CharField(source="item.sku", read_only=True)
    location_code = serializers.CharField(source="location.code", read_only=True)
    available = PlainDecimalField(**QUANTITY, read_only=True)

    class Meta:
        model = StockLevel
        fields = ["id", "item", "item_sku", "location", "location_code", "on_hand", "reserved", "available"]
        read_only_fields = fields


class StockMoveSerializer(PlainModelSerializer):
    """A move to post: the reason decides which of from_location/to_location are needed."""

    item = PlainPrimaryKeyRelatedField(queryset=Item.objects.all())
    quantity = PlainDecimalField(**QUANTITY)
    from_location = PlainPrimaryKeyRelatedField(
        queryset=Location.objects.all(), allow_null=True, required=False, default=None
    )
    to_location = PlainPrimaryKeyRelatedField(
        queryset=Location.objects.all(), allow_null=True, required=False, default=None
    )
    item_sku = serializers.CharField(source="item.sku", read_only=True)
    created_by = serializers.SlugRelatedField(slug_field="username", read_only=True)
    source = serializers.SerializerMethodField(help_text="The document that caused the move, e.g. a purchase order.")
    unit_cost = PlainDecimalField(
        max_digits=18, decimal_places=4, write_only=True, required=False, allow_null=True, default=None,
        help_text="What each unit coming in cost (a receipt's price); default: the item's moving-average cost.",
    )  # fmt: skip

    class Meta:
        model = StockMove
        fields = [
            "id",
            "item",
            "item_sku",
            "quantity",
            "reason",
            "from_location",
            "to_location",
            "reference",
            "unit_cost",
            "source",
            "reverses",
            "created_by",
            "created_at",
        ]
        read_only_fields = ["reverses", "created_at"]

    @extend_schema_field(
        {
            "type": "object",
            "nullable": True,
            "properties": {"type": {"type": "string", "example": "orders.purchaseorder"}, "id": {"type": "integer"}},
        }
    )
    def get_source(self, move: StockMove) -> dict | None:
        if move.source_type_id is None:
            return None
        return {"type": f"{move.source_type.app_label}.{move.source_type.model}", "id": move.source_id}


class StockCountSerializer(serializers.Serializer):
    item = PlainPrimaryKeyRelatedField(queryset=Item.objects.all())
    location = PlainPrimaryKeyRelatedField(queryset=Location.objects.all())
    counted_quantity = PlainDecimalField(**QUANTITY, min_value=0)
    reference = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")


class StockMoveReverseSerializer(serializers.Serializer):
    reference = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")


class ReorderLineSerializer(serializers.Serializer):
    item = PlainIntegerField(source="item.pk")
    sku = serializers.CharField(source="item.sku")
    name = serializers.CharField(source="item.name")
    available = PlainDecimalField(**QUANTITY)
    on_order = PlainDecimalField(**QUANTITY)
    reorder_point = PlainDecimalField(**QUANTITY)
    suggested_quantity = PlainDecimalField(**QUANTITY)


class ValuationQuerySerializer(serializers.Serializer):
    date = serializers.DateField(
        required=False, allow_null=True, default=None, help_text="Value at the end of this day; default: now."
    )


class ValuationLineSerializer(serializers.Serializer):
    item_id = PlainIntegerField()
    sku = serializers.CharField()
    name = serializers.CharField()
    uom = serializers.CharField()
    quantity = PlainDecimalField(**QUANTITY)
    unit_cost = PlainDecimalField(max_digits=18, decimal_places=4)
    value = PlainDecimalField(max_digits=22, decimal_places=4)


class ValuationSerializer(serializers.Serializer):
    at = serializers.DateTimeField(allow_null=True)
    total = PlainDecimalField(max_digits=22, decimal_places=4)
    lines = ValuationLineSerializer(many=True)
