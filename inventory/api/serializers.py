"""Serializers validate the shape of API input; the services decide what is allowed."""

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from inventory.models import Item, Location, StockLevel, StockMove, UnitOfMeasure

QUANTITY = {"max_digits": 18, "decimal_places": 4}


class UnitSerializer(serializers.ModelSerializer):
    class Meta:
        model = UnitOfMeasure
        fields = ["id", "code", "name"]


class ItemSerializer(serializers.ModelSerializer):
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


class LocationSerializer(serializers.ModelSerializer):
    class Meta:
        model = Location
        fields = ["id", "code", "name", "kind", "parent", "is_active", "is_default_receiving"]
        # Naming a new default receiving location takes the role from the old one (location_update does it).
        extra_kwargs = {"is_default_receiving": {"validators": []}}


class StockLevelSerializer(serializers.ModelSerializer):
    item_sku = serializers.CharField(source="item.sku", read_only=True)
    location_code = serializers.CharField(source="location.code", read_only=True)
    available = serializers.DecimalField(**QUANTITY, read_only=True)

    class Meta:
        model = StockLevel
        fields = ["id", "item", "item_sku", "location", "location_code", "on_hand", "reserved", "available"]
        read_only_fields = fields


class StockMoveSerializer(serializers.ModelSerializer):
    """A move to post: the reason decides which of from_location/to_location are needed."""

    item = serializers.PrimaryKeyRelatedField(queryset=Item.objects.all())
    quantity = serializers.DecimalField(**QUANTITY)
    from_location = serializers.PrimaryKeyRelatedField(
        queryset=Location.objects.all(), allow_null=True, required=False, default=None
    )
    to_location = serializers.PrimaryKeyRelatedField(
        queryset=Location.objects.all(), allow_null=True, required=False, default=None
    )
    item_sku = serializers.CharField(source="item.sku", read_only=True)
    created_by = serializers.SlugRelatedField(slug_field="username", read_only=True)
    source = serializers.SerializerMethodField(help_text="The document that caused the move, e.g. a purchase order.")

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
    item = serializers.PrimaryKeyRelatedField(queryset=Item.objects.all())
    location = serializers.PrimaryKeyRelatedField(queryset=Location.objects.all())
    counted_quantity = serializers.DecimalField(**QUANTITY, min_value=0)
    reference = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")


class StockMoveReverseSerializer(serializers.Serializer):
    reference = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")


class ReorderLineSerializer(serializers.Serializer):
    item = serializers.IntegerField(source="item.pk")
    sku = serializers.CharField(source="item.sku")
    name = serializers.CharField(source="item.name")
    available = serializers.DecimalField(**QUANTITY)
    on_order = serializers.DecimalField(**QUANTITY)
    reorder_point = serializers.DecimalField(**QUANTITY)
    suggested_quantity = serializers.DecimalField(**QUANTITY)
