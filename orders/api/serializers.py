"""Serializers validate the shape of API input; the services decide what is allowed."""

from django.db.models import Model
from rest_framework import serializers

from core.api_fields import (
    DocumentLinesSerializer,
    JoinedColumnField,
    JoinedSlugField,
    PlainDecimalField,
    PlainIntegerField,
    PlainModelSerializer,
    PlainPrimaryKeyRelatedField,
    representation,
)
from core.numbers import QUANTITY
from core.validators import validate_plan_date
from customfields.api.fields import CustomFieldsField, CustomFieldsSerializerMixin
from inventory.api.serializers import LotInputSerializer
from inventory.models import Item, Location, UnitOfMeasure
from orders.models import (
    CustomerReturn,
    CustomerReturnLine,
    Partner,
    PurchaseOrder,
    PurchaseOrderLine,
    Receipt,
    ReceiptLine,
    SalesOrder,
    SalesOrderLine,
    Shipment,
    ShipmentLine,
    SupplierItem,
    SupplierReturn,
    SupplierReturnLine,
)
from orders.services.partners import PARTNER_FIELDS


class PartnerSerializer(CustomFieldsSerializerMixin, PlainModelSerializer):
    custom_fields_entity = "partner"
    custom_fields = CustomFieldsField(entity="partner")

    class Meta:
        model = Partner
        fields = ["id", *PARTNER_FIELDS, "custom_fields", "created_at"]
        read_only_fields = ["created_at"]


class SupplierItemSerializer(PlainModelSerializer):
    """A supplier's price for an item; the service checks the supplier, the unit's precision and the preferred flag."""

    supplier = PlainPrimaryKeyRelatedField(queryset=Partner.objects.all())
    item = PlainPrimaryKeyRelatedField(queryset=Item.objects.all())
    supplier_code = serializers.CharField(source="supplier.code", read_only=True)
    sku = serializers.CharField(source="item.sku", read_only=True)

    class Meta:
        model = SupplierItem
        fields = ["id", "supplier", "supplier_code", "item", "sku", "unit_price", "lead_time_days",
                  "minimum_quantity", "is_preferred", "created_at"]  # fmt: skip
        read_only_fields = ["created_at"]
        validators: list = []  # the service says which pair is taken, on the item field


def _require_lines(value: list) -> list:
    if not value:
        raise serializers.ValidationError("an order needs at least one line")
    return value


class ReasonSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")


class DeliveryLineInputSerializer(serializers.Serializer):
    line = PlainIntegerField(min_value=1, help_text="Id of the order line")
    quantity = PlainDecimalField(**QUANTITY, min_value=0)
    lots = LotInputSerializer(
        many=True, required=False, help_text="Tracked items: the lots or serial numbers (required when receiving)."
    )

    class Meta:
        list_serializer_class = DocumentLinesSerializer


# --- Orders and deliveries: a base per role, a small serializer per kind -------------------------------------------
class _OrderLineSerializer(PlainModelSerializer):
    """`quantity` and the price are in the line's `uom` (default: the item's stock unit); `stock_quantity` and what
    deliveries did (reserved, shipped, received, open) are in the item's stock unit, as the ledger is."""

    item = PlainPrimaryKeyRelatedField(queryset=Item.objects.all())
    item_sku = JoinedColumnField(source="item.sku", annotation="item_sku")
    quantity = PlainDecimalField(**QUANTITY, min_value=0, help_text="In the line's unit")
    uom = PlainPrimaryKeyRelatedField(
        queryset=UnitOfMeasure.objects.all(),
        required=False,
        allow_null=True,
        default=None,
        help_text="Id of the unit the quantity and price are in: the item's stock unit (the default) or a unit it "
        "converts to",
    )
    stock_quantity = PlainDecimalField(**QUANTITY, read_only=True, source="quantity", help_text="In the stock unit")
    open_quantity = PlainDecimalField(**QUANTITY, read_only=True)

    def to_representation(self, line: Model) -> dict:
        data = super().to_representation(line)
        represent = self.__dict__.get("_represent_quantity")
        if represent is None:
            represent = self.__dict__["_represent_quantity"] = representation(self.fields["quantity"])
        data["quantity"] = represent(line.line_quantity)
        return data


def _line_meta(line_model: type[Model], price: str, date: str, *delivered: str) -> type:
    """An order line's fields in answer order: what was ordered, at what price and date, then how far it got
    (read-only: deliveries move it). At most DOCUMENT_MAX_LINES a document, their items loaded in one query.
    """

    class Meta:
        model = line_model
        list_serializer_class = DocumentLinesSerializer
        fields = [
            "id",
            "item",
            "item_sku",
            "quantity",
            "uom",
            "stock_quantity",
            price,
            date,
            *delivered,
            "open_quantity",
        ]
        read_only_fields = list(delivered)

    return Meta


def _order_meta(order_model: type[Model], partner: str, *header: str, released_at: str) -> type:
    class Meta:
        model = order_model
        fields = ["id", "number", partner, "status", *header, f"{partner}_reference", "notes", "custom_fields",
                  "lines", "created_by", "created_at", released_at, "closed_at"]  # fmt: skip
        read_only_fields = ["number", "status", "created_at", released_at, "closed_at"]

    return Meta


class _OrderSerializer(PlainModelSerializer):
    created_by = JoinedSlugField(slug_field="username", annotation="created_by_username")


class _DeliveryLineSerializer(PlainModelSerializer):
    item = PlainIntegerField(source="order_line.item_id", read_only=True)

    class Meta:
        fields = ["id", "order_line", "item", "quantity", "move"]
        read_only_fields = fields


class _DeliverySerializer(PlainModelSerializer):
    lines = DeliveryLineInputSerializer(many=True, write_only=True, validators=[_require_lines])
    created_by = serializers.SlugRelatedField(slug_field="username", read_only=True)


# --- Sales ---------------------------------------------------------------------------------------------------------
class SalesOrderLineSerializer(_OrderLineSerializer):
    unit_price = PlainDecimalField(**QUANTITY, min_value=0)

    Meta = _line_meta(SalesOrderLine, "unit_price", "promised_date", "reserved_quantity", "shipped_quantity")


class SalesOrderSerializer(CustomFieldsSerializerMixin, _OrderSerializer):
    custom_fields_entity = "sales_order"
    custom_fields = CustomFieldsField(entity="sales_order")
    customer = PlainPrimaryKeyRelatedField(queryset=Partner.objects.all())
    location = PlainPrimaryKeyRelatedField(
        queryset=Location.objects.all(), required=False, allow_null=True, default=None, help_text="Ship from"
    )
    lines = SalesOrderLineSerializer(many=True, validators=[_require_lines])

    Meta = _order_meta(SalesOrder, "customer", "location", released_at="confirmed_at")


class ShipmentLineSerializer(_DeliveryLineSerializer):
    class Meta(_DeliveryLineSerializer.Meta):
        model = ShipmentLine


class ShipmentSerializer(_DeliverySerializer):
    """Create: {order, reference, lines: [{line, quantity}]}; the answer lists each line's stock move."""

    order = PlainPrimaryKeyRelatedField(queryset=SalesOrder.objects.all())
    shipped_lines = ShipmentLineSerializer(source="lines", many=True, read_only=True)

    class Meta:
        model = Shipment
        fields = ["id", "order", "reference", "lines", "shipped_lines", "shipped_at", "created_by"]
        read_only_fields = ["shipped_at"]


# --- Purchasing ----------------------------------------------------------------------------------------------------
class PurchaseOrderLineSerializer(_OrderLineSerializer):
    unit_cost = PlainDecimalField(**QUANTITY, min_value=0)
    expected_date = serializers.DateField(
        required=False, validators=[validate_plan_date], help_text="Default: today + the supplier's lead time"
    )

    Meta = _line_meta(PurchaseOrderLine, "unit_cost", "expected_date", "received_quantity")


class PurchaseOrderSerializer(CustomFieldsSerializerMixin, _OrderSerializer):
    custom_fields_entity = "purchase_order"
    custom_fields = CustomFieldsField(entity="purchase_order")
    supplier = PlainPrimaryKeyRelatedField(queryset=Partner.objects.all())
    lines = PurchaseOrderLineSerializer(many=True, validators=[_require_lines])

    Meta = _order_meta(PurchaseOrder, "supplier", released_at="sent_at")


class ReceiptLineSerializer(_DeliveryLineSerializer):
    class Meta(_DeliveryLineSerializer.Meta):
        model = ReceiptLine


class ReceiptSerializer(_DeliverySerializer):
    """Create: {order, location (default: the receiving location), reference, lines: [{line, quantity}]}."""

    order = PlainPrimaryKeyRelatedField(queryset=PurchaseOrder.objects.all())
    location = PlainPrimaryKeyRelatedField(
        queryset=Location.objects.all(), required=False, allow_null=True, default=None
    )
    received_lines = ReceiptLineSerializer(source="lines", many=True, read_only=True)

    class Meta:
        model = Receipt
        fields = ["id", "order", "location", "reference", "lines", "received_lines", "received_at", "created_by"]
        read_only_fields = ["received_at"]


# --- Returns: a customer's return of a shipment, our return of a receipt to the supplier --------------------------
class ReturnLineInputSerializer(serializers.Serializer):
    line = PlainIntegerField(min_value=1, help_text="Id of the shipment's or receipt's line")
    quantity = PlainDecimalField(**QUANTITY, min_value=0)

    class Meta:
        list_serializer_class = DocumentLinesSerializer


def _require_return_lines(value: list) -> list:
    if not value:
        raise serializers.ValidationError("a return needs at least one line")
    return value


class _ReturnLineSerializer(PlainModelSerializer):
    item = PlainIntegerField(source="move.item_id", read_only=True)


class CustomerReturnLineSerializer(_ReturnLineSerializer):
    class Meta:
        model = CustomerReturnLine
        fields = ["id", "shipment_line", "item", "quantity", "move"]
        read_only_fields = fields


class CustomerReturnSerializer(PlainModelSerializer):
    """Input: {location (default: the order's ship-from location), reference, lines: [{line, quantity}]}."""

    location = PlainPrimaryKeyRelatedField(
        queryset=Location.objects.all(), required=False, allow_null=True, default=None
    )
    lines = ReturnLineInputSerializer(many=True, write_only=True, validators=[_require_return_lines])
    returned_lines = CustomerReturnLineSerializer(source="lines", many=True, read_only=True)
    created_by = serializers.SlugRelatedField(slug_field="username", read_only=True)

    class Meta:
        model = CustomerReturn
        fields = ["id", "shipment", "location", "reference", "lines", "returned_lines", "created_at", "created_by"]
        read_only_fields = ["shipment", "created_at"]


class SupplierReturnLineSerializer(_ReturnLineSerializer):
    class Meta:
        model = SupplierReturnLine
        fields = ["id", "receipt_line", "item", "quantity", "move"]
        read_only_fields = fields


class SupplierReturnSerializer(PlainModelSerializer):
    """Input: {reference, lines: [{line, quantity}]}; the goods leave the receipt's location."""

    lines = ReturnLineInputSerializer(many=True, write_only=True, validators=[_require_return_lines])
    returned_lines = SupplierReturnLineSerializer(source="lines", many=True, read_only=True)
    created_by = serializers.SlugRelatedField(slug_field="username", read_only=True)

    class Meta:
        model = SupplierReturn
        fields = ["id", "receipt", "reference", "lines", "returned_lines", "created_at", "created_by"]
        read_only_fields = ["receipt", "created_at"]


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
