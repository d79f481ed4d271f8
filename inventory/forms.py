"""Forms of the inventory web UI. Each validates input and calls one service; a domain error lands on its field."""

from __future__ import annotations

from django import forms
from django.contrib.auth.models import AbstractBaseUser
from django.db.models import QuerySet

from core.form_fields import PlainDecimalField, PlainIntegerField, PlainModelChoiceField
from core.forms import RecordForm, ServiceForm
from core.numbers import MONEY, QUANTITY
from core.pickers import PickerInput
from customfields.forms import CustomFieldsFormMixin
from inventory import services
from inventory.models import Item, Location, StockMove, UnitOfMeasure
from inventory.selectors import default_receiving_location, item_by_sku, item_search, location_tree


def _locations() -> forms.ModelChoiceField:
    return PlainModelChoiceField(queryset=Location.objects.filter(is_active=True).order_by("code"))


class ItemListFilter(forms.Form):
    """The filters of the item list (GET). A value that does not clean (an unknown kind, another tenant's location id)
    is said by its field and that filter is left out; the others still apply.

    Hook for filters on things other than item columns (custom fields): add the fields here and narrow the queryset
    in `filter_items`, after the selector's filters."""

    q = forms.CharField(required=False, label="Search by SKU or name")
    kind = forms.ChoiceField(required=False, choices=[("", "Any kind"), *Item.Kind.choices])
    active = forms.ChoiceField(
        required=False, label="Status", choices=[("", "Active and inactive"), ("yes", "Active"), ("no", "Inactive")]
    )
    location = PlainModelChoiceField(
        queryset=Location.objects.none(), required=False, empty_label="Any location", label="Stock at"
    )
    in_stock = forms.BooleanField(required=False, label="In stock only")

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["location"].queryset = Location.objects.order_by("code")

    def filter_items(self) -> QuerySet[Item]:
        """The items the valid filters select, with their totals (at the chosen location only, when one is)."""
        self.is_valid()
        data = self.cleaned_data
        active = {"yes": True, "no": False}.get(data.get("active") or "")
        items = item_search(
            query=(data.get("q") or "").strip(),
            kind=data.get("kind") or "",
            active=active,
            location=data.get("location"),
            in_stock=bool(data.get("in_stock")),
        )
        return items


class ItemSkuField(forms.CharField):
    """An item entered (or scanned, or picked from the matches the picker offers) by its SKU, in any letter case.

    An empty optional field cleans to None. A SKU of another tenant is simply not found here (each tenant's items
    live in its own schema).
    """

    def __init__(self, **kwargs) -> None:
        kwargs.setdefault("label", "Item SKU")
        kwargs.setdefault("max_length", 64)
        # A scanner types the code and presses Enter: static/js/scan.js moves on to the next field instead of
        # submitting. With htmx, typing offers matching items (inventory.views.item_picker).
        kwargs.setdefault("widget", PickerInput("inventory:item-picker", attrs={"data-scan": ""}))
        super().__init__(**kwargs)

    def clean(self, value: str) -> Item | None:
        sku = super().clean(value).strip()
        if not sku:
            return None
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
    # Optional and typed, not scanned: Enter walks past it (data-scan-skip, static/js/scan.js), so Enter in the
    # reference still submits the receipt; it is reached with Tab.
    unit_cost = PlainDecimalField(
        max_digits=18, decimal_places=4, required=False, label="Unit cost",
        help_text="What each unit cost; empty: the item's current average cost.",
        widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off", "data-scan-skip": ""}),
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
    """A reversal posts the opposite move; it cannot itself be reversed, so the page asks to confirm it."""

    reference = forms.CharField(max_length=200, required=False, help_text="e.g. why it is reversed")
    confirm = forms.BooleanField(
        required=True, error_messages={"required": "tick the box to confirm: a reversal cannot be undone"}
    )

    def __init__(self, *args, move: StockMove, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.move = move
        origin = move.from_location.code if move.from_location else None
        target = move.to_location.code if move.to_location else None
        undo = {
            (True, False): f"{move.quantity.normalize():f} go back into {origin}",
            (False, True): f"{move.quantity.normalize():f} leave {target}",
            (True, True): f"{move.quantity.normalize():f} go back from {target} to {origin}",
        }.get((origin is not None, target is not None), "the opposite move is posted")
        self.fields["confirm"].label = f"Reverse move #{move.pk}: {undo}. The reversal cannot be undone"

    def call_service(self, user: AbstractBaseUser) -> StockMove:
        reference = self.cleaned_data["reference"]
        return services.stock_move_reverse(move=self.move, user=user, reference=reference)


class ImportForm(ServiceForm):
    file = forms.FileField(
        label="CSV file",
        help_text="First line: sku,name,uom,kind,description,reorder_point,reorder_quantity,lead_time_days,"
        "standard_cost,active (any subset with sku), and cf_<key> for each custom field of items.",
    )

    def call_service(self, user: AbstractBaseUser) -> object:
        upload = self.cleaned_data["file"]
        if upload.size > services.MAX_IMPORT_BYTES:
            raise services.ImportRefused("the file is larger than 5 MB; split it", field="file")
        return services.item_import_create(file_name=upload.name, data=upload.read(), user=user)


class ItemForm(CustomFieldsFormMixin, RecordForm):
    custom_fields_entity = "item"
    custom_fields_source = "attributes"  # the item's custom-field values (item_create/item_update take them so)
    service_fields = (
        "sku",
        "name",
        "description",
        "uom",
        "kind",
        "procurement",
        "reorder_point",
        "reorder_quantity",
        "lead_time_days",
        "standard_cost",
        "is_active",
        "tracking",
        "lot_sizing",
        "lot_quantity",
        "lot_minimum",
        "lot_multiple",
        "lot_period_days",
        "safety_stock",
    )

    sku = forms.CharField(label="SKU", max_length=64)
    name = forms.CharField(max_length=200)
    description = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False)
    uom = PlainModelChoiceField(queryset=UnitOfMeasure.objects.order_by("code"), label="Unit")
    kind = forms.ChoiceField(choices=Item.Kind.choices, initial=Item.Kind.COMPONENT)
    procurement = forms.ChoiceField(
        choices=Item.Procurement.choices, initial=Item.Procurement.BUY, help_text="Make in-house or buy (MRP)."
    )
    reorder_point = PlainDecimalField(**QUANTITY, min_value=0, initial="0")
    reorder_quantity = PlainDecimalField(**QUANTITY, min_value=0, initial="0")
    lead_time_days = PlainIntegerField(min_value=0, initial=0, label="Lead time (days)")
    standard_cost = PlainDecimalField(**MONEY, min_value=0, initial="0")
    is_active = forms.BooleanField(required=False, initial=True, label="Active")
    tracking = forms.ChoiceField(
        choices=Item.Tracking.choices,
        initial=Item.Tracking.NONE,
        help_text="By lot or serial number: receipts then name lots, issues take them first-expiry-first-out.",
    )
    # Planning (MRP), with `procurement` above
    lot_sizing = forms.ChoiceField(choices=Item.LotSizing.choices, initial=Item.LotSizing.LOT_FOR_LOT)
    lot_quantity = PlainDecimalField(**QUANTITY, min_value=0, initial="0", help_text="Fixed quantity: every order.")
    lot_minimum = PlainDecimalField(**QUANTITY, min_value=0, initial="0", help_text="Minimum and multiple.")
    lot_multiple = PlainDecimalField(**QUANTITY, min_value=0, initial="0", help_text="Minimum and multiple.")
    lot_period_days = PlainIntegerField(
        min_value=0, initial=0, label="Periods of supply (days)", help_text="Periods of supply: days one order covers."
    )
    safety_stock = PlainDecimalField(**QUANTITY, min_value=0, initial="0")

    @property
    def title(self) -> str:
        return f"Edit item {self.instance.sku}" if self.instance is not None else "New item"

    def call_service(self, user: AbstractBaseUser) -> Item:
        if self.instance is None:
            return services.item_create(user=user, **self.values())  # type: ignore[arg-type]
        return services.item_update(item=self.instance, user=user, **self.values())


class _TreeOrder(forms.models.ModelChoiceIterator):
    """The queryset's locations in tree order (each parent followed by its children), indented by depth."""

    def __iter__(self):
        if self.field.empty_label is not None:
            yield ("", self.field.empty_label)
        allowed = set(self.queryset.values_list("pk", flat=True))
        for location, depth in location_tree():
            if location.pk in allowed:
                yield (forms.models.ModelChoiceIteratorValue(location.pk, location), "\u2003" * depth + location.code)


class LocationTreeField(PlainModelChoiceField):
    iterator = _TreeOrder


class LocationForm(RecordForm):
    service_fields = ("code", "name", "kind", "parent", "is_active", "is_default_receiving")

    code = forms.CharField(max_length=32)
    name = forms.CharField(max_length=200)
    kind = forms.ChoiceField(choices=Location.Kind.choices, initial=Location.Kind.BIN)
    parent = LocationTreeField(
        queryset=Location.objects.order_by("code"), required=False, help_text="The warehouse or area it is in."
    )
    is_active = forms.BooleanField(required=False, initial=True, label="Active")
    is_default_receiving = forms.BooleanField(
        required=False,
        label="Default receiving location",
        help_text="Receipts go here unless told otherwise; it takes the role from the current one.",
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if self.instance is not None:
            self.fields["parent"].queryset = Location.objects.exclude(pk=self.instance.pk).order_by("code")

    @property
    def title(self) -> str:
        return f"Edit location {self.instance.code}" if self.instance is not None else "New location"

    def call_service(self, user: AbstractBaseUser) -> Location:
        if self.instance is None:
            return services.location_create(user=user, **self.values())  # type: ignore[arg-type]
        return services.location_update(location=self.instance, user=user, **self.values())


MOVE_FORMS: dict[str, type[ServiceForm]] = {
    "receive": ReceiveForm,
    "issue": IssueForm,
    "transfer": TransferForm,
    "adjust": AdjustForm,
}


class ValuationForm(forms.Form):
    date = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}), help_text="Empty: now.")
