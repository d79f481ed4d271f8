"""Forms of the planning web UI. Each validates input and calls one service; a domain error lands on its field."""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.contrib.auth.models import AbstractBaseUser

from core.form_fields import PlainDecimalField, PlainIntegerField
from core.forms import ServiceForm
from core.numbers import QUANTITY
from planning import services
from planning.models import MrpRun, PlannedOrder


class MrpRunForm(ServiceForm):
    horizon_days = PlainIntegerField(
        label="Planning horizon (days)",
        required=False,
        min_value=1,
        max_value=services.MAX_HORIZON_DAYS,
        help_text="Only demand due within this many days counts. Leave empty to plan all open demand.",
    )

    def call_service(self, user: AbstractBaseUser) -> MrpRun:
        return services.mrp_run_create(user=user, **self.cleaned_data)


class PlannedOrderForm(ServiceForm):
    """Change a planned order's quantity or dates (which firms it)."""

    quantity = PlainDecimalField(**QUANTITY, min_value=Decimal("0.0001"), help_text="In the item's stock unit.")
    due_date = forms.DateField(label="Due date", widget=forms.DateInput(attrs={"type": "date"}))
    release_date = forms.DateField(
        label="Release date",
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text="Order (buy) or start (make) by.",
    )

    def __init__(self, *args, instance: PlannedOrder, **kwargs) -> None:
        kwargs.setdefault(
            "initial",
            {"quantity": f"{instance.quantity.normalize():f}", "due_date": instance.due_date,
             "release_date": instance.release_date},
        )  # fmt: skip
        super().__init__(*args, **kwargs)
        self.instance = instance

    @property
    def title(self) -> str:
        return f"Change {self.instance.label}: {self.instance.item.sku}"

    def call_service(self, user: AbstractBaseUser) -> PlannedOrder:
        return services.planned_order_update(planned_order=self.instance, user=user, **self.cleaned_data)  # type: ignore[arg-type]


class PlannedOrderSelectionForm(ServiceForm):
    """Firm or convert the planned orders ticked on a run's page; converting asks for a confirmation."""

    ACTIONS = (("firm", "Firm"), ("convert", "Convert"))

    ids = forms.ModelMultipleChoiceField(
        queryset=PlannedOrder.objects.all(), error_messages={"required": "Tick at least one planned order."}
    )
    action = forms.ChoiceField(choices=ACTIONS)
    confirm = forms.BooleanField(required=False)

    def clean(self) -> dict:
        data = super().clean()
        if data.get("action") == "convert" and not data.get("confirm"):
            self.add_error("confirm", "Tick the box to confirm the conversion into purchase and work orders.")
        return data

    def call_service(self, user: AbstractBaseUser) -> object:
        orders = list(self.cleaned_data["ids"])
        if self.cleaned_data["action"] == "firm":
            return services.planned_orders_firm(planned_orders=orders, user=user)  # type: ignore[arg-type]
        return services.planned_orders_convert(planned_orders=orders, user=user)  # type: ignore[arg-type]
