"""Forms of the inventory web UI. Each validates input and calls one service; a domain error lands on its field."""

from __future__ import annotations

from django import forms
from django.contrib.auth.models import AbstractBaseUser

from core.form_fields import PlainDecimalField, PlainModelChoiceField
from core.forms import ServiceForm
from core.numbers import QUANTITY
from inventory import services
from inventory.models import Item, Location, StockMove
from inventory.selectors import default_receiving_location, item_by_sku


def _locations() -> forms.ModelChoiceField:
    return PlainModelChoiceField(queryset=Location.objects.filter(is_active=True).order_by("code"))


class ItemSkuField(forms.CharField):
    """An item entered (or scanned) by its SKU."""

    # A scanner types the code and presses Enter: static/js/scan.js moves on to the next field instead of submitting.
    widget = forms.TextInput(attrs={"data-scan": "", "autocomplete": "off", "autocapitalize": "off"})

    def __init__(self, **kwargs) -> None:
        kwargs.setdefault("label", "Item SKU")
        kwargs.setdefault("max_length", 64)
        super().__init__(**kwargs)

    def clean(self, value: str) -> Item:
        sku = super().clean(value).strip()
        item = item_by_sku(sku).first()
        if item is None:
            raise forms.ValidationError(f"no item has SKU {sku!r}")
        return item


class LotsField(forms.CharField):
    """Lots of a tracked item, one a line: `lot, quantity, expiry date (YYYY-MM-DD), supplier lot` (all but the lot
    optional; one lot without a quantity takes all), or one serial number a line. Empty: none (FEFO when stock
    leaves). The service checks them against the item; its messages land on this field."""

    widget = forms.Textarea(attrs={"rows": 3, "autocomplete": "off", "spellcheck": "false"})

    def __init__(self, **kwargs) -> None:
        kwargs.setdefault("required", False)
        kwargs.setdefault("max_length", 20000)
        kwargs.setdefault("label", "Lots or serial numbers")
        super().__init__(**kwargs)

    def clean(self, value: str) -> list[dict[str, str]] | None:
        text = super().clean(value)
        entries = []
        for number, line in enumerate(text.splitlines(), start=1):
            parts = [part.strip() for part in line.replace("\t", ",").split(",")]
            if not any(parts):
                continue
            if len(parts) > 4:
                raise forms.ValidationError(f"line {number}: at most lot, quantity, expiry date, supplier lot")
            code, quantity, expiry, supplier_lot = [*parts, "", "", ""][:4]
            entries.append({"code": code, "quantity": quantity, "expiry_date": expiry, "supplier_lot": supplier_lot})
        return entries or None


_LOTS_IN = "Tracked items: one lot a line as “lot, quantity, expiry date, supplier lot”, or one serial number a line."
_LOTS_OUT = "Tracked items: the lots to take (“lot, quantity”) or serial numbers; empty: first expiry first out."


class ReceiveForm(ServiceForm):
    title = "Receive stock"
    item = ItemSkuField()
    location = _locations()
    quantity = PlainDecimalField(**QUANTITY)
    reference = forms.CharField(max_length=200, required=False, help_text="e.g. the delivery note number")
    lots = LotsField(help_text=_LOTS_IN)
    unit_cost = PlainDecimalField(
        max_digits=18, decimal_places=4, required=False, label="Unit cost",
        help_text="What each unit cost; empty: the item's current average cost.",
    )  # fmt: skip

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["location"].initial = default_receiving_location()

    def call_service(self, user: AbstractBaseUser) -> StockMove:
        return services.stock_receive(user=user, **self.cleaned_data)


class IssueForm(ServiceForm):
    title = "Issue stock"
    item = ItemSkuField()
    location = _locations()
    quantity = PlainDecimalField(**QUANTITY)
    reference = forms.CharField(max_length=200, required=False, help_text="e.g. the job or cost centre")
    lots = LotsField(help_text=_LOTS_OUT)

    def call_service(self, user: AbstractBaseUser) -> StockMove:
        return services.stock_issue(user=user, **self.cleaned_data)


class TransferForm(ServiceForm):
    title = "Transfer stock"
    item = ItemSkuField()
    from_location = _locations()
    to_location = _locations()
    quantity = PlainDecimalField(**QUANTITY)
    reference = forms.CharField(max_length=200, required=False)
    lots = LotsField(help_text=_LOTS_OUT)

    def call_service(self, user: AbstractBaseUser) -> StockMove:
        return services.stock_transfer(user=user, **self.cleaned_data)


class AdjustForm(ServiceForm):
    title = "Adjust to a count"
    item = ItemSkuField()
    location = _locations()
    counted_quantity = PlainDecimalField(**QUANTITY, help_text="The quantity you counted at this location.")
    reference = forms.CharField(max_length=200, required=False)
    lots = LotsField(help_text="Tracked items: a count above on hand needs the lot it is found in; below, FEFO.")

    def call_service(self, user: AbstractBaseUser) -> StockMove | None:
        return services.stock_adjust(user=user, **self.cleaned_data)


class ReverseForm(ServiceForm):
    reference = forms.CharField(max_length=200, required=False)

    def __init__(self, *args, move: StockMove, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.move = move

    def call_service(self, user: AbstractBaseUser) -> StockMove:
        return services.stock_move_reverse(move=self.move, user=user, **self.cleaned_data)


class ImportForm(ServiceForm):
    file = forms.FileField(
        label="CSV file",
        help_text="First line: sku,name,uom,kind,description,reorder_point,reorder_quantity,lead_time_days,"
        "standard_cost,active (any subset with sku; attr.<name> columns become custom attributes).",
    )

    def call_service(self, user: AbstractBaseUser) -> object:
        upload = self.cleaned_data["file"]
        if upload.size > services.MAX_IMPORT_BYTES:
            raise services.ImportRefused("the file is larger than 5 MB; split it", field="file")
        return services.item_import_create(file_name=upload.name, data=upload.read(), user=user)


MOVE_FORMS: dict[str, type[ServiceForm]] = {
    "receive": ReceiveForm,
    "issue": IssueForm,
    "transfer": TransferForm,
    "adjust": AdjustForm,
}


class ValuationForm(forms.Form):
    date = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}), help_text="Empty: now.")
