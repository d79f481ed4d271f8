"""Serializers validate the shape of API input; the services decide what is allowed."""

from rest_framework import serializers

from erp.limits import DocumentLinesSerializer
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

QUANTITY = {"max_digits": 18, "decimal_places": 4}


class PartnerSerializer(serializers.ModelSerializer):
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
class SalesOrderLineSerializer(serializers.ModelSerializer):
    item = serializers.PrimaryKeyRelatedField(queryset=Item.objects.all())
    item_sku = serializers.CharField(source="item.sku", read_only=True)
    quantity = serializers.DecimalField(**QUANTITY, min_value=0)
    unit_price = serializers.DecimalField(**QUANTITY, min_value=0)
    open_quantity = serializers.DecimalField(**QUANTITY, read_only=True)

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


class SalesOrderSerializer(serializers.ModelSerializer):
    customer = serializers.PrimaryKeyRelatedField(queryset=Partner.objects.all())
    location = serializers.PrimaryKeyRelatedField(
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
    line = serializers.IntegerField(min_value=1, help_text="Id of the order line")
    quantity = serializers.DecimalField(**QUANTITY, min_value=0)

    class Meta:
        list_serializer_class = DocumentLinesSerializer


class ShipmentLineSerializer(serializers.ModelSerializer):
    item = serializers.IntegerField(source="order_line.item_id", read_only=True)

    class Meta:
        model = ShipmentLine
        fields = ["id", "order_line", "item", "quantity", "move"]
        read_only_fields = fields


class ShipmentSerializer(serializers.ModelSerializer):
    """Create: {order, reference, lines: [{line, quantity}]}; the answer lists each line's stock move."""

    order = serializers.PrimaryKeyRelatedField(queryset=SalesOrder.objects.all())
    lines = DeliveryLineInputSerializer(many=True, write_only=True, validators=[_require_lines])
    shipped_lines = ShipmentLineSerializer(source="lines", many=True, read_only=True)
    created_by = serializers.SlugRelatedField(slug_field="username", read_only=True)

    class Meta:
        model = Shipment
        fields = ["id", "order", "reference", "lines", "shipped_lines", "shipped_at", "created_by"]
        read_only_fields = ["shipped_at"]


# --- Purchasing ----------------------------------------------------------------------------------------------------
class PurchaseOrderLineSerializer(serializers.ModelSerializer):
    item = serializers.PrimaryKeyRelatedField(queryset=Item.objects.all())
    item_sku = serializers.CharField(source="item.sku", read_only=True)
    quantity = serializers.DecimalField(**QUANTITY, min_value=0)
    unit_cost = serializers.DecimalField(**QUANTITY, min_value=0)
    expected_date = serializers.DateField(required=False, help_text="Default: today + the supplier's lead time")
    open_quantity = serializers.DecimalField(**QUANTITY, read_only=True)

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


class PurchaseOrderSerializer(serializers.ModelSerializer):
    supplier = serializers.PrimaryKeyRelatedField(queryset=Partner.objects.all())
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


class ReceiptLineSerializer(serializers.ModelSerializer):
    item = serializers.IntegerField(source="order_line.item_id", read_only=True)

    class Meta:
        model = ReceiptLine
        fields = ["id", "order_line", "item", "quantity", "move"]
        read_only_fields = fields


class ReceiptSerializer(serializers.ModelSerializer):
    """Create: {order, location (default: the receiving location), reference, lines: [{line, quantity}]}."""

    order = serializers.PrimaryKeyRelatedField(queryset=PurchaseOrder.objects.all())
    location = serializers.PrimaryKeyRelatedField(
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
    sales_counts = serializers.DictField(child=serializers.IntegerField())
    purchase_counts = serializers.DictField(child=serializers.IntegerField())
    open_sales_value = serializers.DecimalField(max_digits=24, decimal_places=2)
    open_purchase_value = serializers.DecimalField(max_digits=24, decimal_places=2)
    sales_due_this_week = serializers.IntegerField()
    purchases_due_this_week = serializers.IntegerField()
    late_sales_lines = serializers.IntegerField()
    late_purchase_lines = serializers.IntegerField()


class LateShipmentSerializer(serializers.Serializer):
    order = serializers.IntegerField(source="line.order_id")
    number = serializers.CharField(source="line.order.number")
    customer = serializers.CharField(source="line.order.customer.code")
    line = serializers.IntegerField(source="line.pk")
    sku = serializers.CharField(source="line.item.sku")
    promised_date = serializers.DateField(source="line.promised_date")
    open_quantity = serializers.DecimalField(**QUANTITY)
    days_late = serializers.IntegerField()


class SupplierLatenessSerializer(serializers.Serializer):
    supplier = serializers.IntegerField(source="supplier.pk")
    code = serializers.CharField(source="supplier.code")
    name = serializers.CharField(source="supplier.name")
    receipt_lines = serializers.IntegerField()
    late_receipt_lines = serializers.IntegerField()
    average_days_late = serializers.DecimalField(max_digits=10, decimal_places=1)
    on_time_percent = serializers.DecimalField(max_digits=5, decimal_places=1)
    open_overdue_lines = serializers.IntegerField()
