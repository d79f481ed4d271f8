"""Serializers of the planning API (read only)."""

from rest_framework import serializers

from core.api_fields import PlainDecimalField, PlainIntegerField
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
