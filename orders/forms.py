"""Forms of the orders web UI. Each validates input and calls one service; a domain error lands on its field."""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.contrib.auth.models import AbstractBaseUser

from core.errors import DomainError
from core.form_fields import PlainDecimalField, PlainIntegerField, PlainModelChoiceField
from core.forms import RecordForm, ServiceForm
from core.line_editor import LineEditorForm, LineForm
from core.numbers import MONEY, QUANTITY
from core.pickers import PickerInput
from core.validators import validate_plan_date
from customfields.forms import CustomFieldsFormMixin
from inventory.forms import ItemSkuField, LotsField
from inventory.models import Item, Location
from inventory.selectors import default_receiving_location
from orders import services
from orders.models import Partner, PurchaseOrder, Receipt, SalesOrder, Shipment, SupplierItem
from orders.services.partners import PARTNER_FIELDS


class _DeliveryForm(ServiceForm):
    """One quantity field per open line of the order (`line_<id>`), in the item's stock unit, plus a reference.

    `action` names the capability (access.ORDER_ACTIONS) it needs; `refusal` says why a closed order has no form.
    """

    action = ""
    refusal = ""

    reference = forms.CharField(max_length=200, required=False)

    def __init__(self, *args, order: SalesOrder | PurchaseOrder, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.order = order
        self.line_fields: list[tuple[object, str]] = []
        for line in order.lines.all():
            if line.open_quantity <= 0:
                continue
            name = f"line_{line.pk}"
            self.fields[name] = PlainDecimalField(
                **QUANTITY,
                required=False,
                min_value=0,
                label=f"{line.item.sku} (open {line.open_quantity.normalize():f} {line.item.uom.code})",
            )
            self.line_fields.append((line, name))
            if line.item.tracking != Item.Tracking.NONE:  # lots or serials of this line (inventory.forms.LotsField)
                self.fields[f"lots_{line.pk}"] = LotsField(label=f"{line.item.sku}: lots or serial numbers")
        names = [field for _, name in self.line_fields for field in (name, f"lots_{name[5:]}") if field in self.fields]
        self.order_fields(names)  # the lines first, then reference and the rest

    @classmethod
    def filled(cls, data, *, order: SalesOrder | PurchaseOrder) -> _DeliveryForm:
        """The form again (unbound: nothing is posted) with every open line's open quantity filled in and the other
        fields as typed: "ship all" / "receive all" fills, the user checks and submits."""
        form = cls(order=order)
        form.initial = {name: data.get(name, "") for name in form.fields}
        form.initial.update({name: f"{line.open_quantity.normalize():f}" for line, name in form.line_fields})
        return form

    def line_rows(self) -> list[tuple[object, forms.BoundField]]:
        """(order line, its quantity field) for the table of lines."""
        return [(line, self[name]) for line, name in self.line_fields]

    def other_fields(self) -> list[forms.BoundField]:
        names = {name for _, name in self.line_fields}
        return [field for field in self if field.name not in names]

    def submit(self, user: AbstractBaseUser) -> object | None:
        try:
            return self.call_service(user)
        except DomainError as exc:
            line_id = getattr(exc, "line_id", "")
            line_field = f"lots_{line_id}" if exc.field == "lots" else f"line_{line_id}"
            if line_field not in self.fields:
                line_field = f"line_{line_id}"
            self.add_error(line_field if line_field in self.fields else None, exc.message)
            return None

    def entries(self) -> list[dict]:
        return [
            {"line": line, "quantity": self.cleaned_data[name], "lots": self.cleaned_data.get(f"lots_{line.pk}")}
            for line, name in self.line_fields
            if self.cleaned_data.get(name)
        ]

    def clean(self) -> dict:
        cleaned = super().clean()
        if not self.errors and not self.entries():
            raise forms.ValidationError("enter a quantity for at least one line")
        return cleaned


class ShipForm(_DeliveryForm):
    action = "ship"
    refusal = "it cannot ship"

    def done(self, shipment: Shipment) -> str:
        return f"Shipped {shipment} with {shipment.lines.count()} line(s)."

    def call_service(self, user: AbstractBaseUser) -> Shipment:
        return services.shipment_create(
            order=self.order, lines=self.entries(), user=user, reference=self.cleaned_data["reference"]
        )


class ReceiveForm(_DeliveryForm):
    action = "receive"
    refusal = "it cannot be received"
    location = PlainModelChoiceField(queryset=Location.objects.none(), label="Receive into")

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["location"].queryset = Location.objects.filter(is_active=True).order_by("code")
        self.fields["location"].initial = default_receiving_location()
        lines = [field for _, name in self.line_fields for field in (name, f"lots_{name[5:]}") if field in self.fields]
        self.order_fields(["location", *lines, "reference"])

    def done(self, receipt: Receipt) -> str:
        return f"Received {receipt} into {receipt.location.code}."

    def call_service(self, user: AbstractBaseUser) -> Receipt:
        return services.receipt_create(
            order=self.order,
            lines=self.entries(),
            user=user,
            location=self.cleaned_data["location"],
            reference=self.cleaned_data["reference"],
        )


class _ReturnForm(ServiceForm):
    """One quantity field per line of a shipment or receipt that still has something to return (`line_<id>`), a
    reference and a confirmation that says what will happen (the return moves stock and reopens the order)."""

    action = "return"
    line_model: type = object
    delivery_line_field = ""  # "shipment_line"

    reference = forms.CharField(max_length=200, required=False, help_text="e.g. the RMA or returns note number.")
    confirm = forms.BooleanField(required=True, error_messages={"required": "tick the box to confirm the return"})

    def __init__(self, *args, delivery: Shipment | Receipt, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.delivery = delivery
        self.line_fields: list[tuple[object, str]] = []
        lines = list(delivery.lines.select_related("order_line__item").order_by("pk"))
        returned = services.returned_quantities(delivery=delivery)
        for line in lines:
            left = line.quantity - returned.get(line.pk, 0)
            if left <= 0:
                continue
            name = f"line_{line.pk}"
            label = f"{line.order_line.item.sku} (returnable {left.normalize():f})"
            self.fields[name] = PlainDecimalField(**QUANTITY, required=False, min_value=0, label=label)
            self.line_fields.append((line, name))
        self.fields["confirm"].label = self.confirmation
        self.order_fields([*(name for _, name in self.line_fields), "reference", "confirm"])

    def submit(self, user: AbstractBaseUser) -> object | None:
        try:
            return self.call_service(user)
        except DomainError as exc:
            self.add_error(None, exc.message)
            return None

    def entries(self) -> list[dict]:
        return [
            {"line": line, "quantity": self.cleaned_data[name]}
            for line, name in self.line_fields
            if self.cleaned_data.get(name)
        ]

    def clean(self) -> dict:
        cleaned = super().clean()
        if not self.errors and not self.entries():
            raise forms.ValidationError("enter a quantity for at least one line")
        return cleaned


class CustomerReturnForm(_ReturnForm):
    location = PlainModelChoiceField(queryset=Location.objects.none(), label="Return into")

    @property
    def confirmation(self) -> str:
        order = self.delivery.order
        return (
            f"The goods come back into stock at the location above, {order.number}'s shipped quantities go down "
            "and it has them to ship again"
        )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["location"].queryset = Location.objects.filter(is_active=True).order_by("code")
        self.fields["location"].initial = self.delivery.order.location_id
        self.order_fields(["location", *(name for _, name in self.line_fields), "reference", "confirm"])

    def done(self, document: object) -> str:
        return f"Customer return {document} of {self.delivery} recorded; the stock is back."

    def call_service(self, user: AbstractBaseUser) -> object:
        return services.customer_return_create(
            shipment=self.delivery,
            lines=self.entries(),
            user=user,
            location=self.cleaned_data["location"],
            reference=self.cleaned_data["reference"],
        )


class SupplierReturnForm(_ReturnForm):
    @property
    def confirmation(self) -> str:
        order = self.delivery.order
        return (
            f"The goods leave stock at {self.delivery.location.code} (they must still be there), {order.number}'s "
            "received quantities go down and it expects them again"
        )

    def done(self, document: object) -> str:
        return f"Return to supplier {document} of {self.delivery} recorded; the stock has left."

    def call_service(self, user: AbstractBaseUser) -> object:
        return services.supplier_return_create(
            receipt=self.delivery, lines=self.entries(), user=user, reference=self.cleaned_data["reference"]
        )


class ReasonForm(ServiceForm):
    reason = forms.CharField(max_length=500, required=False)


class OrderListFilter(forms.Form):
    """The filters of an order list page: state, partner, late only."""

    status = forms.ChoiceField(required=False)
    partner = PlainModelChoiceField(queryset=Partner.objects.none(), required=False)
    late = forms.BooleanField(required=False, label="Late only")

    def __init__(self, *args, statuses: list[tuple[str, str]], partners, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["status"].choices = [("", "Any state"), *statuses]
        self.fields["partner"].queryset = partners


# --- Authoring: partners and draft orders -------------------------------------------------------------------------
class PartnerCodeField(forms.CharField):
    """A customer or supplier entered by its code (any letter case), with the partner picker offering matches.

    Whether the partner may be used (an active customer for a sales order) is the order service's rule; its refusal
    lands on this field.
    """

    def __init__(self, *, role: str, **kwargs) -> None:
        kwargs.setdefault("max_length", 32)
        kwargs.setdefault("widget", PickerInput("orders:partner-picker", query={"role": role}))
        super().__init__(**kwargs)

    def prepare_value(self, value: object) -> object:
        return value.code if isinstance(value, Partner) else value

    def clean(self, value: str) -> Partner:
        code = super().clean(value).strip()
        matches = list(Partner.objects.filter(code__iexact=code)[:2])
        exact = [partner for partner in matches if partner.code == code]
        if exact:
            return exact[0]
        if len(matches) == 1:
            return matches[0]
        if matches:
            raise forms.ValidationError(f"more than one partner has code {code!r} in some letter case; type it exactly")
        raise forms.ValidationError(f"no customer or supplier has code {code!r}")


class PartnerForm(CustomFieldsFormMixin, RecordForm):
    custom_fields_entity = "partner"
    service_fields = PARTNER_FIELDS

    code = forms.CharField(max_length=32)
    name = forms.CharField(max_length=200)
    is_customer = forms.BooleanField(required=False, label="Customer")
    is_supplier = forms.BooleanField(required=False, label="Supplier")
    contact_name = forms.CharField(max_length=200, required=False)
    email = forms.EmailField(required=False)
    phone = forms.CharField(max_length=64, required=False)
    address = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False)
    default_lead_time_days = PlainIntegerField(
        min_value=0,
        initial=0,
        label="Supplier lead time (days)",
        help_text="A purchase line without an expected date is due this many days out.",
    )
    is_active = forms.BooleanField(required=False, initial=True, label="Active")

    @property
    def title(self) -> str:
        return f"Edit partner {self.instance.code}" if self.instance is not None else "New customer or supplier"

    def call_service(self, user: AbstractBaseUser) -> Partner:
        if self.instance is None:
            return services.partner_create(user=user, **self.values())  # type: ignore[arg-type]
        return services.partner_update(partner=self.instance, user=user, **self.values())


class OrderLineForm(LineForm):
    """One line of a draft order: the kind's subclass adds its price and date (`LINE_FIELDS`)."""

    LINE_FIELDS: tuple[str, ...] = ("item", "quantity")

    item = ItemSkuField(label="Item SKU")
    quantity = PlainDecimalField(**QUANTITY, min_value=0)


class SalesOrderLineForm(OrderLineForm):
    LINE_FIELDS = ("item", "quantity", "unit_price", "promised_date")
    PRICE = "unit_price"

    unit_price = PlainDecimalField(**MONEY, min_value=0)
    promised_date = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}), validators=[validate_plan_date])


class PurchaseOrderLineForm(OrderLineForm):
    LINE_FIELDS = ("item", "quantity", "unit_cost", "expected_date")
    PRICE = "unit_cost"

    unit_cost = PlainDecimalField(**MONEY, min_value=0)
    expected_date = forms.DateField(
        widget=forms.DateInput(attrs={"type": "date"}),
        validators=[validate_plan_date],
        required=False,
        help_text="Empty: today plus the supplier's lead time.",
    )


class OrderForm(CustomFieldsFormMixin, LineEditorForm):
    """A draft sales or purchase order's header; its lines go with it to the kind's service."""

    kind_label = ""
    header_fields: tuple[str, ...] = ()
    partner_field = ""
    no_lines = "an order needs at least one line: enter an item and a quantity"

    reference = forms.CharField(max_length=100, required=False)
    notes = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False)

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.order_fields([self.partner_field, *self.header_fields])

    @property
    def title(self) -> str:
        return f"Edit {self.instance.number}" if self.instance is not None else f"New {self.kind_label}"

    def header(self) -> dict[str, object]:
        return {
            f"{self.partner_field}_reference": self.cleaned_data["reference"],
            "notes": self.cleaned_data["notes"],
            "custom_fields": self.custom_values(),
        }


class SalesOrderForm(OrderForm):
    custom_fields_entity = "sales_order"
    kind_label = "sales order"
    partner_field = "customer"
    header_fields = ("location", "reference", "notes")

    customer = PartnerCodeField(role="customer", label="Customer code")
    location = PlainModelChoiceField(
        queryset=Location.objects.none(), label="Ship from", help_text="Stock is reserved and shipped here."
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["location"].queryset = Location.objects.filter(is_active=True).order_by("code")
        self.fields["reference"].label = "Customer reference"
        if not self.is_bound and self.instance is None:
            self.fields["location"].initial = default_receiving_location()

    def header(self) -> dict[str, object]:
        return {**super().header(), "location": self.cleaned_data["location"]}

    def call_service(self, user: AbstractBaseUser) -> SalesOrder:
        header = {"customer": self.cleaned_data["customer"], **self.header()}
        if self.instance is None:
            return services.sales_order_create(lines=self.line_values(), user=user, **header)  # type: ignore[arg-type]
        return services.sales_order_update(order=self.instance, lines=self.line_values(), user=user, **header)


class PurchaseOrderForm(OrderForm):
    custom_fields_entity = "purchase_order"
    kind_label = "purchase order"
    partner_field = "supplier"
    header_fields = ("reference", "notes")

    supplier = PartnerCodeField(role="supplier", label="Supplier code")

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["reference"].label = "Supplier reference"

    def call_service(self, user: AbstractBaseUser) -> PurchaseOrder:
        header = {"supplier": self.cleaned_data["supplier"], **self.header()}
        if self.instance is None:
            return services.purchase_order_create(lines=self.line_values(), user=user, **header)  # type: ignore[arg-type]
        return services.purchase_order_update(order=self.instance, lines=self.line_values(), user=user, **header)


class SupplierItemForm(RecordForm):
    """A supplier's price for an item. Ticking "preferred" makes this supplier the one planned buys are ordered from."""

    service_fields = ("item", "unit_price", "lead_time_days", "minimum_quantity", "is_preferred")

    item = ItemSkuField(label="Item SKU")
    unit_price = PlainDecimalField(**MONEY, min_value=0, label="Unit price", help_text="Per stock unit of the item.")
    lead_time_days = PlainIntegerField(min_value=0, initial=0, label="Lead time (days)")
    minimum_quantity = PlainDecimalField(
        **QUANTITY, required=False, min_value=Decimal("0.0001"), label="Minimum quantity",
        help_text="The least this supplier sells in one order; empty: any quantity.",
    )  # fmt: skip
    is_preferred = forms.BooleanField(required=False, label="Preferred supplier for this item")

    def __init__(self, *args, supplier: Partner, instance: SupplierItem | None = None, **kwargs) -> None:
        if instance is not None and "initial" not in kwargs:
            kwargs["initial"] = {"item": instance.item.sku, "unit_price": f"{instance.unit_price.normalize():f}",
                                 "lead_time_days": instance.lead_time_days, "is_preferred": instance.is_preferred,
                                 "minimum_quantity": f"{instance.minimum_quantity.normalize():f}"
                                 if instance.minimum_quantity is not None else None}  # fmt: skip
        super().__init__(*args, instance=instance, **kwargs)
        self.supplier = supplier

    @property
    def title(self) -> str:
        if self.instance is not None:
            return f"Price of {self.instance.item.sku} from {self.supplier.code}"
        return f"New price from {self.supplier.code}"

    def call_service(self, user: AbstractBaseUser) -> SupplierItem:
        if self.instance is None:
            return services.supplier_item_create(supplier=self.supplier, user=user, **self.values())  # type: ignore[arg-type]
        return services.supplier_item_update(supplier_item=self.instance, user=user, **self.values())  # type: ignore[arg-type]
