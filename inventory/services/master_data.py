"""Master data: units, items and locations, validated by the model, audited, deleted only when unused."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from decimal import Decimal

from django.db import transaction
from django.db.models import Model, ProtectedError

from audit.services import audit_record, changes_since, snapshot
from core.numbers import QUANTITY_PLACES
from core.users import User
from customfields.services import merged_custom_values, validate_custom_values
from inventory.models import Item, Location, UnitOfMeasure
from inventory.selectors import item_by_sku
from inventory.services.errors import (
    InvalidMove,
    InventoryError,
)
from inventory.services.locking import lock_item_for_change
from inventory.services.units import check_decimals_change, check_precision

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


_UNIT_FIELDS = {"code", "name", "decimals"}


def unit_create(*, code: str, name: str, user: User, decimals: int = QUANTITY_PLACES) -> UnitOfMeasure:
    """A new unit; `decimals` is how finely quantities in it are counted (0 for pieces)."""
    return _update(
        UnitOfMeasure(),
        {"code": code, "name": name, "decimals": decimals},
        _UNIT_FIELDS,
        user=user,
        action="inventory.unit_create",
    )


def unit_update(*, unit: UnitOfMeasure, user: User, **fields: object) -> UnitOfMeasure:
    """Change a unit; its precision may grow, and shrink only as far as the stock already counted in it allows."""
    if "decimals" in fields:
        check_decimals_change(unit, fields["decimals"])
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
    # planning (MRP); the low-level code is not here: the BOM services keep it
    "procurement",
    "lot_sizing",
    "lot_quantity",
    "lot_minimum",
    "lot_multiple",
    "lot_period_days",
    "safety_stock",
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


# Quantities on the item itself, counted in its stock unit like every other quantity of it.
_ITEM_QUANTITIES = ("reorder_point", "reorder_quantity")


def _check_item_quantities(uom: object, fields: dict[str, object], item: Item | None = None) -> None:
    if not isinstance(uom, UnitOfMeasure):
        return  # full_clean says what is wrong with it
    for name in _ITEM_QUANTITIES:
        value = fields.get(name, getattr(item, name, None) if item is not None and "uom" in fields else None)
        if isinstance(value, Decimal):
            check_precision(value, uom, field=name)


def _item_history(item: Item) -> str | None:
    """What already counts this item in its stock unit (stock moves, levels, order lines, BOM lines, conversions...),
    named for the message, or None when nothing does.

    Every model that points at Item counts (inventory imports no other app, so it asks the relations): a row in any
    of them holds a quantity, or a factor, in the stock unit.
    """
    for relation in Item._meta.get_fields(include_hidden=True):
        if not (relation.auto_created and not relation.concrete and (relation.one_to_many or relation.one_to_one)):
            continue
        related = relation.related_model
        if related._base_manager.filter(**{relation.field.name: item.pk}).exists():
            return str(related._meta.verbose_name_plural)
    return None


def _check_uom_change(item: Item, uom: object) -> None:
    """Changing the stock unit of an item with history would silently reinterpret every quantity recorded in it."""
    if item.pk is None or not isinstance(uom, UnitOfMeasure) or uom.pk == item.uom_id:
        return
    history = _item_history(item)
    if history is not None:
        raise InventoryError(
            f"item {item.sku} already has {history} counted in {item.uom.code}; its stock unit cannot change to "
            f"{uom.code} (every quantity recorded would be reinterpreted): create a new item in {uom.code} instead",
            field="uom",
        )


def _check_tracking_change(item: Item) -> None:
    """Lots must add up to the item's stock: its tracking changes only while it has none on hand anywhere."""
    if item.levels.filter(on_hand__gt=0).exists():
        raise InvalidMove(
            f"item {item.sku} has stock on hand: its tracking can change only when none is left", field="tracking"
        )


def item_create(*, sku: str, name: str, uom: UnitOfMeasure, user: User, **fields: object) -> Item:
    """A new item; the SKU is unique within the tenant, ignoring letter case. Stock starts at zero everywhere.
    Its custom-field values (`attributes`) must fit the tenant's definitions (required ones included)."""
    _check_sku_free(sku)
    fields["attributes"] = validate_custom_values("item", fields.get("attributes") or {}, field="attributes")
    _check_item_quantities(uom, fields)
    item = Item(sku="", name="", uom=uom)
    item = _update(item, {"sku": sku, "name": name, **fields}, _ITEM_FIELDS, user=user, action="inventory.item_create")
    logger.info("item %s created by %s", item.sku, getattr(user, "pk", None))
    return item


def item_update(*, item: Item, user: User, **fields: object) -> Item:
    """Change an item's master data (deactivate it with is_active=False; its ledger stays).

    The stock unit changes only while nothing counts the item yet (no stock, orders, BOM lines or conversions).
    `attributes` changes custom-field values by key (null removes one; keys not given stay), and the result must fit
    the tenant's definitions.
    """
    if "sku" in fields:
        _check_sku_free(fields["sku"], item)
    if "attributes" in fields:
        fields["attributes"] = validate_custom_values(
            "item", merged_custom_values(item.attributes, fields["attributes"]), field="attributes"
        )
    with transaction.atomic():
        new_uom = fields.get("uom")
        changes_unit = isinstance(new_uom, UnitOfMeasure) and new_uom.pk != item.uom_id
        changes_tracking = fields.get("tracking", item.tracking) != item.tracking
        if item.pk is not None and (changes_unit or changes_tracking):
            # FOR UPDATE (inventory.services.locking): waits for every writer holding the item FOR KEY SHARE, i.e.
            # recording a quantity of it, and keeps new ones out until commit; the checks below then see their rows.
            locked = lock_item_for_change(item)
            if locked is not None:
                _check_uom_change(locked, new_uom)
                if fields.get("tracking", locked.tracking) != locked.tracking:
                    _check_tracking_change(locked)
        _check_item_quantities(fields.get("uom", item.uom), fields, item)
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
