"""Supplier prices: what each supplier sells an item for, how long it takes, and which supplier is preferred."""

from __future__ import annotations

from collections.abc import Collection
from decimal import Decimal

from django.db import IntegrityError, transaction

from audit.services import audit_record, changes_since, snapshot
from core.numbers import parse_money, parse_quantity
from core.validators import MAX_LEAD_TIME_DAYS
from inventory.models import Item
from inventory.services import check_item_quantity
from orders.models import Partner, SupplierItem
from orders.services.errors import OrderError
from orders.services.parsing import User

SUPPLIER_ITEM_FIELDS = ("supplier", "item", "unit_price", "lead_time_days", "minimum_quantity", "is_preferred")


def _clean(values: dict[str, object]) -> dict[str, object]:
    supplier, item = values["supplier"], values["item"]
    if not isinstance(supplier, Partner) or not supplier.is_supplier:
        raise OrderError(f"{getattr(supplier, 'code', supplier)} is not a supplier", field="supplier")
    if not isinstance(item, Item):
        raise OrderError("an item is required", field="item")
    values["unit_price"] = parse_money(values["unit_price"], field="unit_price", error=OrderError)
    lead = values["lead_time_days"]
    if isinstance(lead, bool) or not isinstance(lead, int) or not 0 <= lead <= MAX_LEAD_TIME_DAYS:
        raise OrderError(
            f"the lead time is a whole number of days from 0 to {MAX_LEAD_TIME_DAYS}", field="lead_time_days"
        )
    minimum = values["minimum_quantity"]
    if minimum in (None, ""):
        values["minimum_quantity"] = None
    else:
        minimum = parse_quantity(minimum, field="minimum_quantity", error=OrderError)
        values["minimum_quantity"] = check_item_quantity(item, minimum, field="minimum_quantity", error=OrderError)
    values["is_preferred"] = bool(values["is_preferred"])
    return values


def supplier_item_create(
    *,
    supplier: Partner,
    item: Item,
    unit_price: Decimal | int | str,
    user: User,
    lead_time_days: int = 0,
    minimum_quantity: Decimal | int | str | None = None,
    is_preferred: bool = False,
) -> SupplierItem:
    """A supplier's price for an item (one per supplier and item). Preferred, it takes the flag from the item's
    previous preferred supplier."""
    fields = {"supplier": supplier, "item": item, "unit_price": unit_price, "lead_time_days": lead_time_days,
              "minimum_quantity": minimum_quantity, "is_preferred": is_preferred}  # fmt: skip
    return supplier_item_update(supplier_item=SupplierItem(), user=user, **fields)


def supplier_item_update(*, supplier_item: SupplierItem, user: User, **fields: object) -> SupplierItem:
    """Change a supplier price; setting `is_preferred` moves the item's preferred flag to this supplier."""
    unknown = set(fields) - set(SUPPLIER_ITEM_FIELDS)
    if unknown:
        raise TypeError(f"cannot set {', '.join(sorted(unknown))} on SupplierItem")
    creating = supplier_item.pk is None
    current = {name: getattr(supplier_item, name, None) for name in SUPPLIER_ITEM_FIELDS if name not in fields}
    if not creating:
        current["supplier"], current["item"] = supplier_item.supplier, supplier_item.item
    values = _clean({**current, **fields})
    before = dict.fromkeys(SUPPLIER_ITEM_FIELDS) if creating else snapshot(supplier_item, SUPPLIER_ITEM_FIELDS)
    with transaction.atomic():
        if values["is_preferred"]:
            # Lock the item's price rows (id order) so two planners preferring two suppliers at once do not both win.
            item_id = values["item"].pk  # type: ignore[attr-defined]
            list(SupplierItem.objects.filter(item_id=item_id).order_by("pk").select_for_update())
            others = SupplierItem.objects.filter(item_id=item_id, is_preferred=True).exclude(pk=supplier_item.pk)
            others.update(is_preferred=False)
        duplicate = SupplierItem.objects.filter(supplier=values["supplier"], item=values["item"])
        if duplicate.exclude(pk=supplier_item.pk).exists():
            raise OrderError(
                f"{values['supplier'].code} already has a price for {values['item'].sku}; edit it",  # type: ignore[attr-defined]
                field="item",
            )
        for name, value in values.items():
            setattr(supplier_item, name, value)
        try:
            with transaction.atomic():
                supplier_item.save()
        except IntegrityError:  # a concurrent writer won the supplier/item pair or the preferred flag
            raise OrderError(
                f"another price for {values['item'].sku} was saved at the same time; reload and try again",  # type: ignore[attr-defined]
                field="item",
            ) from None
        changes = changes_since(supplier_item, before)
        action = "orders.supplier_item_create" if creating else "orders.supplier_item_update"
        if creating or changes:
            audit_record(user=user, action=action, obj=supplier_item, changes=changes)
    return supplier_item


def supplier_item_delete(*, supplier_item: SupplierItem, user: User) -> None:
    """Remove a supplier price (its history stays in the audit trail)."""
    with transaction.atomic():
        audit_record(
            user=user, action="orders.supplier_item_delete", obj=supplier_item,
            changes={"unit_price": [str(supplier_item.unit_price), None]},
        )  # fmt: skip
        supplier_item.delete()


def preferred_supplier_items(item_ids: Collection[int]) -> dict[int, SupplierItem]:
    """The preferred supplier price of each item asked that has one, with its supplier (one query)."""
    rows = SupplierItem.objects.filter(item_id__in=item_ids, is_preferred=True).select_related("supplier")
    return {row.item_id: row for row in rows}
