"""Forms of the production web UI. Each validates input and calls one service; a domain error lands on its field."""

from __future__ import annotations

from django import forms
from django.contrib.auth.models import AbstractBaseUser

from core.form_fields import PlainDecimalField, PlainModelChoiceField
from core.forms import ServiceForm
from core.validators import validate_plan_date
from inventory.forms import ItemSkuField
from inventory.models import Item, Location
from inventory.selectors import default_receiving_location
from production import services
from production.models import CostRollup, WorkOrder

QUANTITY = {"max_digits": 18, "decimal_places": 4}


class WorkOrderForm(ServiceForm):
    title = "New work order"
    item = ItemSkuField(label="Item to make (SKU)")
    quantity = PlainDecimalField(**QUANTITY)
    due_date = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}), validators=[validate_plan_date])
    number = forms.CharField(max_length=32, required=False, help_text="Leave empty for the next WO number.")
    note = forms.CharField(max_length=200, required=False)

    def call_service(self, user: AbstractBaseUser) -> WorkOrder:
        return services.work_order_create(user=user, **self.cleaned_data)


class TransitionForm(ServiceForm):
    """Start or cancel: nothing to enter."""

    def __init__(self, *args, work_order: WorkOrder, action: str, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.work_order, self.action = work_order, action

    def call_service(self, user: AbstractBaseUser) -> WorkOrder:
        return services.TRANSITIONS[self.action](work_order=self.work_order, user=user, **self.cleaned_data)


class ReleaseForm(TransitionForm):
    location = PlainModelChoiceField(
        queryset=Location.objects.filter(is_active=True).order_by("code"),
        required=False,
        help_text="Components are reserved here and finished goods received here.",
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["location"].initial = default_receiving_location()


class CompleteForm(TransitionForm):
    quantity = PlainDecimalField(**QUANTITY, required=False, label="Quantity finished now")

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["quantity"].initial = f"{self.work_order.remaining_quantity.normalize():f}"


class UncompleteForm(TransitionForm):
    """Un-complete asks for an explicit confirmation: it moves stock back."""

    confirm = forms.BooleanField(
        required=True,
        label="Reverse every completion",
        help_text="The finished goods leave stock, the consumed components come back and are reserved again, and "
        "the work order is in progress with nothing completed. Refused if the finished goods are no longer there.",
        error_messages={"required": "tick the box to confirm: un-complete moves stock back"},
    )

    def call_service(self, user: AbstractBaseUser) -> WorkOrder:
        return services.work_order_uncomplete(work_order=self.work_order, user=user)


class _OptionalItemSkuField(ItemSkuField):
    def clean(self, value: str) -> Item | None:  # type: ignore[override]
        if not (value or "").strip():
            return None
        return super().clean(value)


class CostRollupForm(ServiceForm):
    item = _OptionalItemSkuField(
        label="Only this item's tree (SKU)", required=False, help_text="Empty: every active BOM."
    )

    def call_service(self, user: AbstractBaseUser) -> CostRollup:
        return services.cost_rollup_run(user=user, item=self.cleaned_data.get("item"))


ACTION_FORMS: dict[str, type[TransitionForm]] = {
    "release": ReleaseForm,
    "start": TransitionForm,
    "complete": CompleteForm,
    "cancel": TransitionForm,
    "uncomplete": UncompleteForm,
}
