"""Serializers validate the shape of API input; the services decide what is allowed."""

from rest_framework import serializers

from core.api_fields import (
    DocumentLinesSerializer,
    PlainDecimalField,
    PlainIntegerField,
    PlainModelSerializer,
    PlainPrimaryKeyRelatedField,
)
from core.numbers import QUANTITY
from core.validators import validate_plan_date
from inventory.models import Item, Location
from orders.models import (
    Partner,
    PurchaseOrder,
    PurchaseOrderLine,
    Receipt,
    ReceiptLine,
    SalesOrder,
    SalesOrderLine,
    Shipment,
    ShipmentLine,
)


class PartnerSerializer(PlainModelSerializer):
    class Meta:
        model = Partner
        fields = [
            "id",
            "code",
            "name",
            "is_customer",
            "is_supplier",
            "contact_name",
            "email",
            "phone",
            "address",
            "default_lead_time_days",
            "is_active",
            "created_at",
        ]
        read_only_fields = ["created_at"]


def _require_lines(value: list) -> list:
    if not value:
        raise serializers.ValidationError("an order needs at least one line")
    return value


# --- Sales ---------------------------------------------------------------------------------------------------------
class SalesOrderLineSerializer(PlainModelSerializer):
    item = PlainPrimaryKeyRelatedField(queryset=Item.objects.all())
    item_sku = serializers.CharField(source="item.sku", read_only=True)
    quantity = PlainDecimalField(**QUANTITY, min_value=0)
    unit_price = PlainDecimalField(**QUANTITY, min_value=0)
    open_quantity = PlainDecimalField(**QUANTITY, read_only=True)

    class Meta:
        model = SalesOrderLine
        list_serializer_class = DocumentLinesSerializer  # at most DOCUMENT_MAX_LINES; items loaded in one query
        fields = [
            "id",
            "item",
            "item_sku",
            "quantity",
            "unit_price",
            "promised_date",
            "reserved_quantity",
            "shipped_quantity",
            "open_quantity",
        ]
        read_only_fields = ["reserved_quantity", "shipped_quantity"]


class SalesOrderSerializer(PlainModelSerializer):
    customer = PlainPrimaryKeyRelatedField(queryset=Partner.objects.all())
    location = PlainPrimaryKeyRelatedField(
        queryset=Location.objects.all(), required=False, allow_null=True, default=None, help_text="Ship from"
    )
    lines = SalesOrderLineSerializer(many=True, validators=[_require_lines])
    created_by = serializers.SlugRelatedField(slug_field="username", read_only=True)

    class Meta:
        model = SalesOrder
        fields = [
            "id",
            "number",
            "customer",
            "status",
            "location",
            "customer_reference",
            "notes",
            "lines",
            "created_by",
            "created_at",
            "confirmed_at",
            "closed_at",
        ]
        read_only_fields = ["number", "status", "created_at", "confirmed_at", "closed_at"]


class ReasonSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")


class DeliveryLineInputSerializer(serializers.Serializer):
    line = PlainIntegerField(min_value=1, help_text="Id of the order line")
    quantity = PlainDecimalField(**QUANTITY, min_value=0)

    class Meta:
        list_serializer_class = DocumentLinesSerializer


class ShipmentLineSerializer(PlainModelSerializer):
    item = PlainIntegerField(source="order_line.item_id", read_only=True)

    class Meta:
        model = ShipmentLine
        fields = ["id", "order_line", "item", "quantity", "move"]
        read_only_fields = fields


class ShipmentSerializer(PlainModelSerializer):
    """Create: {order, reference, lines: [{line, quantity}]}; the answer lists each line's stock move."""

    order = PlainPrimaryKeyRelatedField(queryset=SalesOrder.objects.all())
    lines = DeliveryLineInputSerializer(many=True, write_only=True, validators=[_require_lines])
    shipped_lines = ShipmentLineSerializer(source="lines", many=True, read_only=True)
    created_by = serializers.SlugRelatedField(slug_field="username", read_only=True)

    class Meta:
        model = Shipment
        fields = ["id", "order", "reference", "lines", "shipped_lines", "shipped_at", "created_by"]
        read_only_fields = ["shipped_at"]


# --- Purchasing ----------------------------------------------------------------------------------------------------
class PurchaseOrderLineSerializer(PlainModelSerializer):
    item = PlainPrimaryKeyRelatedField(queryset=Item.objects.all())
    item_sku = serializers.CharField(source="item.sku", read_only=True)
    quantity = PlainDecimalField(**QUANTITY, min_value=0)
    unit_cost = PlainDecimalField(**QUANTITY, min_value=0)
    expected_date = serializers.DateField(
        required=False, validators=[validate_plan_date], help_text="Default: today + the supplier's lead time"
    )
    open_quantity = PlainDecimalField(**QUANTITY, read_only=True)

    class Meta:
        model = PurchaseOrderLine
        list_serializer_class = DocumentLinesSerializer
        fields = [
            "id",
            "item",
            "item_sku",
            "quantity",
            "unit_cost",
            "expected_date",
            "received_quantity",
            "open_quantity",
        ]
        read_only_fields = ["received_quantity"]


class PurchaseOrderSerializer(PlainModelSerializer):
    supplier = PlainPrimaryKeyRelatedField(queryset=Partner.objects.all())
    lines = PurchaseOrderLineSerializer(many=True, validators=[_require_lines])
    created_by = serializers.SlugRelatedField(slug_field="username", read_only=True)

    class Meta:
        model = PurchaseOrder
        fields = [
            "id",
            "number",
            "supplier",
            "status",
            "supplier_reference",
            "notes",
            "lines",
            "created_by",
            "created_at",
            "sent_at",
            "closed_at",
        ]
        read_only_fields = ["number", "status", "created_at", "sent_at", "closed_at"]


class ReceiptLineSerializer(PlainModelSerializer):
    item = PlainIntegerField(source="order_line.item_id", read_only=True)

    class Meta:
        model = ReceiptLine
        fields = ["id", "order_line", "item", "quantity", "move"]
        read_only_fields = fields


class ReceiptSerializer(PlainModelSerializer):
    """Create: {order, location (default: the receiving location), reference, lines: [{line, quantity}]}."""

    order = PlainPrimaryKeyRelatedField(queryset=PurchaseOrder.objects.all())
    location = PlainPrimaryKeyRelatedField(
        queryset=Location.objects.all(), required=False, allow_null=True, default=None
    )
    lines = DeliveryLineInputSerializer(many=True, write_only=True, validators=[_require_lines])
    received_lines = ReceiptLineSerializer(source="lines", many=True, read_only=True)
    created_by = serializers.SlugRelatedField(slug_field="username", read_only=True)

    class Meta:
        model = Receipt
        fields = ["id", "order", "location", "reference", "lines", "received_lines", "received_at", "created_by"]
        read_only_fields = ["received_at"]


# --- Reports -------------------------------------------------------------------------------------------------------
class DashboardSerializer(serializers.Serializer):
    sales_counts = serializers.DictField(child=PlainIntegerField())
    purchase_counts = serializers.DictField(child=PlainIntegerField())
    open_sales_value = PlainDecimalField(max_digits=24, decimal_places=2)
    open_purchase_value = PlainDecimalField(max_digits=24, decimal_places=2)
    sales_due_this_week = PlainIntegerField()
    purchases_due_this_week = PlainIntegerField()
    late_sales_lines = PlainIntegerField()
    late_purchase_lines = PlainIntegerField()


class LateShipmentSerializer(serializers.Serializer):
    order = PlainIntegerField(source="line.order_id")
    number = serializers.CharField(source="line.order.number")
    customer = serializers.CharField(source="line.order.customer.code")
    line = PlainIntegerField(source="line.pk")
    sku = serializers.CharField(source="line.item.sku")
    promised_date = serializers.DateField(source="line.promised_date")
    open_quantity = PlainDecimalField(**QUANTITY)
    days_late = PlainIntegerField()


class SupplierLatenessSerializer(serializers.Serializer):
    supplier = PlainIntegerField(source="supplier.pk")
    code = serializers.CharField(source="supplier.code")
    name = serializers.CharField(source="supplier.name")
    receipt_lines = PlainIntegerField()
    late_receipt_lines = PlainIntegerField()
    average_days_late = PlainDecimalField(max_digits=10, decimal_places=1)
    on_time_percent = PlainDecimalField(max_digits=5, decimal_places=1)
    open_overdue_lines = PlainIntegerField()
