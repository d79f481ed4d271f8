"""Forms of the orders web UI. Each validates input and calls one service; a domain error lands on its field."""

from __future__ import annotations

from django import forms
from django.contrib.auth.models import AbstractBaseUser

from core.errors import DomainError
from core.form_fields import PlainDecimalField, PlainModelChoiceField
from core.forms import ServiceForm
from core.numbers import QUANTITY
from inventory.forms import LotsField
from inventory.models import Item, Location
from inventory.selectors import default_receiving_location
from orders import services
from orders.models import Partner, PurchaseOrder, Receipt, SalesOrder, Shipment


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
