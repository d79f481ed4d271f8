"""Master data: units, items and locations, validated by the model, audited, deleted only when unused."""

from __future__ import annotations

import logging
from collections.abc import Iterable

from django.db import transaction
from django.db.models import Model, ProtectedError

from audit.services import audit_record, changes_since, snapshot
from core.users import User
from inventory.models import Item, Location, UnitOfMeasure
from inventory.selectors import item_by_sku
from inventory.services.errors import (
    InvalidMove,
    InventoryError,
)

logger = logging.getLogger(__name__)


def _save_validated(obj: Model) -> None:
    obj.full_clean()
    obj.save()


def _delete_unused(obj: Model, what: str, hint: str, *, user: User, action: str, fields: Iterable[str]) -> None:
    try:
        with transaction.atomic():
            changes = {name: [value, None] for name, value in changes_since(obj, dict.fromkeys(fields)).items()}
            audit_record(user=user, action=action, obj=obj, changes=changes)
            obj.delete()
    except ProtectedError:
        raise InventoryError(f"{what} is in use ({hint}) and cannot be deleted") from None


_UNIT_FIELDS = {"code", "name"}


def unit_create(*, code: str, name: str, user: User) -> UnitOfMeasure:
    return _update(
        UnitOfMeasure(), {"code": code, "name": name}, _UNIT_FIELDS, user=user, action="inventory.unit_create"
    )


def unit_update(*, unit: UnitOfMeasure, user: User, **fields: object) -> UnitOfMeasure:
    return _update(unit, fields, _UNIT_FIELDS, user=user, action="inventory.unit_update")


def unit_delete(*, unit: UnitOfMeasure, user: User) -> None:
    _delete_unused(
        unit, f"unit {unit.code}", "items use it", user=user, action="inventory.unit_delete", fields=_UNIT_FIELDS
    )


_ITEM_FIELDS = {
    "sku",
    "name",
    "description",
    "uom",
    "kind",
    "reorder_point",
    "reorder_quantity",
    "lead_time_days",
    "standard_cost",
    "is_active",
    "attributes",
    "tracking",
}


def _update(obj: Model, fields: dict[str, object], allowed: set[str], *, user: User, action: str) -> Model:
    """Set `fields` on `obj`, validate, save and audit the values that changed (all of them for a new object)."""
    unknown = set(fields) - allowed
    if unknown:
        raise TypeError(f"cannot set {', '.join(sorted(unknown))} on {type(obj).__name__}")
    before = dict.fromkeys(fields) if obj.pk is None else snapshot(obj, fields)
    for name, value in fields.items():
        setattr(obj, name, value.strip() if isinstance(value, str) and name in {"sku", "code", "name"} else value)
    with transaction.atomic():
        _save_validated(obj)
        changes = changes_since(obj, before)
        if changes:
            audit_record(user=user, action=action, obj=obj, changes=changes)
    return obj


def _check_sku_free(sku: object, item: Item | None = None) -> None:
    """SKUs are unique ignoring letter case: "bolt-10" names the same item as "BOLT-10"."""
    if not isinstance(sku, str) or not sku.strip():
        return  # full_clean says what is wrong with it
    twin = item_by_sku(sku).exclude(pk=item.pk if item is not None else None).values_list("sku", flat=True).first()
    if twin is not None:
        raise InventoryError(
            f"item {twin} already has this SKU (SKUs are compared ignoring letter case); choose another", field="sku"
        )


def item_create(*, sku: str, name: str, uom: UnitOfMeasure, user: User, **fields: object) -> Item:
    """A new item; the SKU is unique within the tenant, ignoring letter case. Stock starts at zero everywhere."""
    _check_sku_free(sku)
    item = Item(sku="", name="", uom=uom)
    item = _update(item, {"sku": sku, "name": name, **fields}, _ITEM_FIELDS, user=user, action="inventory.item_create")
    logger.info("item %s created by %s", item.sku, getattr(user, "pk", None))
    return item


def item_update(*, item: Item, user: User, **fields: object) -> Item:
    """Change an item's master data (deactivate it with is_active=False; its ledger stays)."""
    if "sku" in fields:
        _check_sku_free(fields["sku"], item)
    if fields.get("tracking", item.tracking) != item.tracking and item.levels.filter(on_hand__gt=0).exists():
        raise InvalidMove(
            f"item {item.sku} has stock on hand: its tracking can change only when none is left", field="tracking"
        )
    return _update(item, fields, _ITEM_FIELDS, user=user, action="inventory.item_update")


def item_delete(*, item: Item, user: User) -> None:
    _delete_unused(
        item,
        f"item {item.sku}",
        "it has stock history; deactivate it instead",
        user=user,
        action="inventory.item_delete",
        fields=_ITEM_FIELDS,
    )


_LOCATION_FIELDS = {"code", "name", "kind", "parent", "is_active", "is_default_receiving"}


def location_create(*, code: str, name: str, user: User, **fields: object) -> Location:
    """A new location; making it the default receiving location takes that role from the previous one."""
    return _location_save(
        Location(code="", name=""), user=user, action="inventory.location_create", code=code, name=name, **fields
    )


_KEEP_DEFAULT = "make another location the default receiving location instead"


def location_update(*, location: Location, user: User, **fields: object) -> Location:
    """Change a location. The tenant always keeps one default receiving location: naming a new one takes the role
    from the old one, and the current one cannot give it up (or be deactivated) on its own."""
    return _location_save(location, user=user, action="inventory.location_update", **fields)


def _location_save(location: Location, *, user: User, action: str, **fields: object) -> Location:
    was_default = (
        location.pk is not None and Location.objects.filter(pk=location.pk, is_default_receiving=True).exists()
    )
    if was_default and fields.get("is_default_receiving") is False:
        raise InventoryError(
            f"location {location.code} is the default receiving location; {_KEEP_DEFAULT}", field="is_default_receiving"
        )
    if was_default and fields.get("is_active") is False:
        raise InventoryError(
            f"location {location.code} is the default receiving location and cannot be deactivated; {_KEEP_DEFAULT}",
            field="is_active",
        )
    parent = fields.get("parent", location.parent)
    ancestor = parent
    while ancestor is not None:
        if location.pk is not None and ancestor.pk == location.pk:
            raise InventoryError(
                f"location {location.code} cannot be placed under {parent.code}: that is inside it", field="parent"
            )
        ancestor = ancestor.parent
    with transaction.atomic():
        if fields.get("is_default_receiving"):
            Location.objects.filter(is_default_receiving=True).exclude(pk=location.pk).update(
                is_default_receiving=False
            )
        return _update(location, fields, _LOCATION_FIELDS, user=user, action=action)


def location_delete(*, location: Location, user: User) -> None:
    if location.is_default_receiving:
        raise InventoryError(f"location {location.code} is the default receiving location; {_KEEP_DEFAULT}")
    _delete_unused(
        location,
        f"location {location.code}",
        "it has stock history or bins; deactivate it instead",
        user=user,
        action="inventory.location_delete",
        fields=_LOCATION_FIELDS,
    )
