"""Serializers validate the shape of API input; the services decide what is allowed."""

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from core.api_fields import PlainDecimalField, PlainIntegerField, PlainModelSerializer, PlainPrimaryKeyRelatedField
from core.numbers import QUANTITY
from customfields.api.fields import CustomFieldsField, CustomFieldsSerializerMixin
from inventory.models import (
    CONVERSION_FACTOR,
    Item,
    ItemUnitConversion,
    Location,
    Lot,
    StockLevel,
    StockMove,
    UnitOfMeasure,
)


class UnitSerializer(PlainModelSerializer):
    class Meta:
        model = UnitOfMeasure
        fields = ["id", "code", "name", "decimals"]


class ConversionSerializer(PlainModelSerializer):
    """1 `uom` of `item` = `factor` x the item's stock unit (a box of 12 pcs: factor 12)."""

    item = PlainPrimaryKeyRelatedField(queryset=Item.objects.all())
    uom = PlainPrimaryKeyRelatedField(queryset=UnitOfMeasure.objects.all(), help_text="The other unit's id")
    uom_code = serializers.CharField(source="uom.code", read_only=True)
    stock_uom = serializers.CharField(source="item.uom.code", read_only=True)
    factor = PlainDecimalField(**CONVERSION_FACTOR, help_text="How many stock units one of this unit is")

    class Meta:
        model = ItemUnitConversion
        fields = ["id", "item", "uom", "uom_code", "factor", "stock_uom"]
        validators: list = []  # one per item and unit: conversion_create says so by the field


class ItemSerializer(CustomFieldsSerializerMixin, PlainModelSerializer):
    custom_fields_entity = "item"
    uom = serializers.SlugRelatedField(slug_field="code", queryset=UnitOfMeasure.objects.all(), help_text="Unit code")
    custom_fields = CustomFieldsField(entity="item", source="attributes")
    attributes = serializers.JSONField(
        read_only=True, help_text="Deprecated: the same values as custom_fields (read-only; write custom_fields)."
    )

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
            "custom_fields",
            "attributes",
            "tracking",
            "procurement",
            "lot_sizing",
            "lot_quantity",
            "lot_minimum",
            "lot_multiple",
            "lot_period_days",
            "safety_stock",
            "low_level_code",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["low_level_code", "created_at", "updated_at"]
        extra_kwargs = {
            "reorder_point": {"min_value": 0},
            "reorder_quantity": {"min_value": 0},
            "standard_cost": {"min_value": 0},
            "lot_quantity": {"min_value": 0},
            "lot_minimum": {"min_value": 0},
            "lot_multiple": {"min_value": 0},
            "safety_stock": {"min_value": 0},
        }


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


class LotInputSerializer(serializers.Serializer):
    """One lot of a move: a lot (batch) with its quantity, or one serial number (quantity empty or 1)."""

    code = serializers.CharField(max_length=64, help_text="The lot or serial number.")
    quantity = PlainDecimalField(**QUANTITY, required=False, allow_null=True, default=None, min_value=0)
    supplier_lot = serializers.CharField(max_length=64, required=False, allow_blank=True, default="")
    expiry_date = serializers.DateField(required=False, allow_null=True, default=None)


class StockMoveSerializer(PlainModelSerializer):
    """A move to post: the reason decides which of from_location/to_location are needed."""

    item = PlainPrimaryKeyRelatedField(queryset=Item.objects.select_related("uom"))  # the unit rules the quantity
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
    lots = LotInputSerializer(
        many=True,
        required=False,
        write_only=True,
        help_text="Items tracked by lot or serial: the lots (required when stock arrives; first-expiry-first-out "
        "when it leaves without them).",
    )
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
            "lots",
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
    item = PlainPrimaryKeyRelatedField(queryset=Item.objects.select_related("uom"))
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


class LotSerializer(PlainModelSerializer):
    item_sku = serializers.CharField(source="item.sku", read_only=True)
    on_hand = PlainDecimalField(**QUANTITY, read_only=True, source="on_hand_total", help_text="At all locations.")

    class Meta:
        model = Lot
        fields = ["id", "item", "item_sku", "code", "is_serial", "supplier_lot", "expiry_date", "on_hand", "created_at"]
        read_only_fields = fields


class TraceQuerySerializer(serializers.Serializer):
    direction = serializers.ChoiceField(
        choices=["forward", "backward"],
        default="forward",
        help_text="forward: what was made from the lot and who got it; backward: what went into it and from whom.",
    )


class TracedDocumentSerializer(serializers.Serializer):
    kind = serializers.CharField()
    id = PlainIntegerField(source="document_id")
    label = serializers.CharField()
    order_number = serializers.CharField()
    partner = serializers.CharField()
    partner_id = PlainIntegerField(allow_null=True)


class TracedLotSerializer(serializers.Serializer):
    id = PlainIntegerField(source="lot_id")
    code = serializers.CharField()
    item = PlainIntegerField(source="item_id")
    item_sku = serializers.CharField()
    is_serial = serializers.BooleanField()
    supplier_lot = serializers.CharField()
    expiry_date = serializers.DateField(allow_null=True)
    depth = PlainIntegerField()
    via = serializers.ListField(child=PlainIntegerField(), help_text="Lots one level nearer the traced lot.")


class TracedMoveSerializer(serializers.Serializer):
    lot = PlainIntegerField(source="lot_id")
    lot_code = serializers.CharField()
    item_sku = serializers.CharField()
    move = PlainIntegerField(source="move_id")
    reason = serializers.CharField()
    quantity = PlainDecimalField(**QUANTITY)
    moved_at = serializers.DateTimeField()
    reference = serializers.CharField()
    document = TracedDocumentSerializer(allow_null=True)


class TraceSerializer(serializers.Serializer):
    direction = serializers.CharField()
    lots = TracedLotSerializer(many=True, help_text="The traced lot first, then by depth.")
    moves = TracedMoveSerializer(many=True, help_text="Forward: shipments; backward: receipts.")


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
