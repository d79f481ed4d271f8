"""Forms of the production web UI. Each validates input and calls one service; a domain error lands on its field."""

from __future__ import annotations

from django import forms
from django.contrib.auth.models import AbstractBaseUser

from core.form_fields import PlainDecimalField, PlainModelChoiceField
from core.forms import ServiceForm
from core.line_editor import LineEditorForm, LineForm
from core.validators import validate_plan_date
from inventory.forms import ItemSkuField
from inventory.models import Item, Location
from inventory.selectors import default_receiving_location
from production import services
from production.models import Bom, CostRollup, WorkOrder

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


class WorkOrderEditForm(ServiceForm):
    """A draft's quantity, due date and note (its item is fixed: a different item is a different work order)."""

    quantity = PlainDecimalField(**QUANTITY)
    due_date = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}), validators=[validate_plan_date])
    note = forms.CharField(max_length=200, required=False)

    def __init__(self, *args, work_order: WorkOrder, **kwargs) -> None:
        kwargs.setdefault(
            "initial",
            {
                "quantity": f"{work_order.quantity.normalize():f}",
                "due_date": work_order.due_date,
                "note": work_order.note,
            },
        )
        super().__init__(*args, **kwargs)
        self.work_order = work_order
        self.title = f"Edit {work_order.number} ({work_order.item.sku})"

    def call_service(self, user: AbstractBaseUser) -> WorkOrder:
        return services.work_order_update(work_order=self.work_order, user=user, **self.cleaned_data)


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


class CancelForm(TransitionForm):
    """Cancel asks for an explicit confirmation: it cannot be undone."""

    confirm = forms.BooleanField(
        required=True,
        label="Cancel this work order",
        help_text="The components it reserved are released and nothing more is made for it; what was already made "
        "and consumed stays. A cancelled work order cannot be reopened.",
        error_messages={"required": "tick the box to confirm: a cancelled work order cannot be reopened"},
    )

    def call_service(self, user: AbstractBaseUser) -> WorkOrder:
        return services.work_order_cancel(work_order=self.work_order, user=user)


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
    "cancel": CancelForm,
    "uncomplete": UncompleteForm,
}


# --- Authoring: BOMs -------------------------------------------------------------------------------------------------
class BomLineForm(LineForm):
    LINE_FIELDS = ("component", "quantity", "scrap_percent", "note")

    component = ItemSkuField(label="Component SKU")
    quantity = PlainDecimalField(**QUANTITY, min_value=0, label="Quantity per unit")
    scrap_percent = PlainDecimalField(
        max_digits=5, decimal_places=2, min_value=0, max_value=100, required=False, label="Scrap %"
    )
    note = forms.CharField(max_length=200, required=False)


class BomForm(LineEditorForm):
    """A BOM version of an item with its lines. Editing a BOM keeps its item; a copy starts a new version."""

    no_lines = "a BOM needs at least one line: enter a component and a quantity"

    item = ItemSkuField(label="Item made (SKU)")
    version = forms.CharField(max_length=32, initial="1", help_text="e.g. 1, 2, 2025-A")
    is_active = forms.BooleanField(
        required=False, initial=True, label="Active", help_text="Production and planning use the active version."
    )
    note = forms.CharField(max_length=200, required=False)
    labour_cost = PlainDecimalField(**QUANTITY, required=False, initial="0", help_text="Per unit, or per batch.")
    overhead_cost = PlainDecimalField(**QUANTITY, required=False, initial="0", help_text="Per unit, or per batch.")
    cost_basis = forms.ChoiceField(
        choices=Bom.CostBasis.choices, initial=Bom.CostBasis.PER_UNIT, required=False, label="Costs are"
    )
    batch_size = PlainDecimalField(
        **QUANTITY, required=False, initial="1", help_text="Units per batch, when the costs are per batch."
    )

    COST_FIELDS = ("labour_cost", "overhead_cost", "cost_basis", "batch_size")

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if self.instance is not None:
            del self.fields["item"]

    @property
    def title(self) -> str:
        if self.instance is None:
            return "New bill of materials"
        return f"Edit BOM of {self.instance.item.sku} v{self.instance.version}"

    def call_service(self, user: AbstractBaseUser) -> Bom:
        header = {name: self.cleaned_data[name] for name in ("version", "is_active", "note")}
        header.update({name: self.cleaned_data.get(name) or None for name in self.COST_FIELDS})
        if self.instance is None:
            return services.bom_create(item=self.cleaned_data["item"], lines=self.line_values(), user=user, **header)
        return services.bom_update(bom=self.instance, lines=self.line_values(), user=user, **header)
