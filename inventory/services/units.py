"""Units of measure that mean something: each unit's precision, and items' conversions to other units.

`check_precision` is the one rule that says whether a quantity fits its unit (0.5 pcs does not); the stock services,
the orders and production call it, and the API, the UI and the CSV import show its message by the field. A
conversion says 1 <unit> = factor x the item's stock unit; `to_stock_quantity` turns a quantity in any unit the item
converts to into stock units, exactly (Decimal), and refuses a result the stock unit cannot count (0.5 of a box of 3
is 1.5 pcs).
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from django.db import IntegrityError, connection, transaction

from audit.services import audit_record, changes_since, snapshot
from core.errors import DomainError
from core.numbers import plain_decimal_error
from core.users import User
from inventory.models import CONVERSION_FACTOR, Item, ItemUnitConversion, UnitOfMeasure
from inventory.services.errors import InvalidQuantity, InventoryError
from inventory.services.locking import hold_items

_FACTOR_PLACES = CONVERSION_FACTOR["decimal_places"]
_MAX_FACTOR = Decimal(10) ** (CONVERSION_FACTOR["max_digits"] - _FACTOR_PLACES)


def _fmt(value: Decimal) -> str:
    return f"{value.normalize():f}"


def precision_error(quantity: Decimal, unit: UnitOfMeasure) -> str | None:
    """Why `quantity` cannot be counted in `unit` (too many decimal places), or None when it can."""
    if quantity == quantity.quantize(Decimal(1).scaleb(-unit.decimals)):
        return None
    if unit.decimals == 0:
        return f"{_fmt(quantity)} is not a whole number of {unit.code} ({unit.code} are counted in whole units)"
    return (
        f"{_fmt(quantity)} {unit.code} has more than {unit.decimals} decimal places ({unit.code} takes {unit.decimals})"
    )


def check_precision(
    quantity: Decimal,
    unit: UnitOfMeasure,
    *,
    field: str = "quantity",
    where: str = "",
    error: type[DomainError] = InvalidQuantity,
) -> Decimal:
    """`quantity` when its unit can count it; otherwise `error` on `field` ("0.5 is not a whole number of pcs").

    The single source of the precision rule: services call it on every quantity a person or a program enters.
    """
    problem = precision_error(quantity, unit)
    if problem is not None:
        raise error(f"{where}: {field} {problem}" if where else f"{field} {problem}", field=field)
    return quantity


def check_item_quantity(
    item: Item, quantity: Decimal, *, field: str = "quantity", error: type[DomainError] = InvalidQuantity
) -> Decimal:
    """`quantity` of `item` in its stock unit, refused when the unit cannot count it (item BOLT-10: 0.5 pcs)."""
    problem = precision_error(quantity, item.uom)
    if problem is not None:
        raise error(f"item {item.sku}: {field} {problem}", field=field)
    return quantity


def conversion_factor(item: Item, unit: UnitOfMeasure | None) -> Decimal:
    """How many stock units one `unit` of `item` is: 1 for the stock unit (or None), the conversion's factor
    otherwise; a unit the item has no conversion to is refused."""
    if unit is None or unit.pk == item.uom_id:
        return Decimal(1)
    factor = ItemUnitConversion.objects.filter(item_id=item.pk, uom_id=unit.pk).values_list("factor", flat=True).first()
    if factor is None:
        raise InvalidQuantity(
            f"item {item.sku} is not counted in {unit.code}: use {item.uom.code} or a unit it converts to "
            "(add the conversion first)",
            field="uom",
        )
    return factor


def to_stock_quantity(item: Item, quantity: Decimal, unit: UnitOfMeasure | None, *, field: str = "quantity") -> Decimal:
    """`quantity` in `unit` as a quantity in the item's stock unit, exactly (2 boxes of 12: 24 pcs).

    Both must be countable: the quantity in its own unit, and the result in the stock unit (0.5 of a box of 3 is
    1.5 pcs: refused, since pieces are whole).
    """
    if unit is None or unit.pk == item.uom_id:
        return check_item_quantity(item, quantity, field=field)
    check_precision(quantity, unit, field=field)
    stock = quantity * conversion_factor(item, unit)
    problem = precision_error(stock, item.uom)
    if problem is not None:
        raise InvalidQuantity(
            f"item {item.sku}: {_fmt(quantity)} {unit.code} is {_fmt(stock)} {item.uom.code}, and {problem}; "
            f"order a quantity of {unit.code} that makes a countable quantity of {item.uom.code}",
            field=field,
        )
    return stock


def from_stock_quantity(item: Item, stock_quantity: Decimal, unit: UnitOfMeasure | None) -> Decimal:
    """A quantity in the item's stock unit expressed in `unit` (exact division; the inverse of to_stock_quantity)."""
    return stock_quantity / conversion_factor(item, unit)


# The most decimal places a quantity of the unit's items has in the ledger or the stock levels (min_scale: 2.50 -> 1).
_USED_DECIMALS = """
SELECT COALESCE(MAX(s), 0) FROM (
    SELECT MAX(min_scale(m.quantity)) AS s FROM inventory_stockmove m
    JOIN inventory_item i ON i.id = m.item_id WHERE i.uom_id = %(unit)s
    UNION ALL
    SELECT MAX(GREATEST(min_scale(l.on_hand), min_scale(l.reserved))) FROM inventory_stocklevel l
    JOIN inventory_item i ON i.id = l.item_id WHERE i.uom_id = %(unit)s
) used
"""


def used_decimals(unit: UnitOfMeasure) -> int:
    """How many decimal places the stock already counted in `unit` needs (0 when it is all whole, or none)."""
    if unit.pk is None:
        return 0
    with connection.cursor() as cursor:
        cursor.execute(_USED_DECIMALS, {"unit": unit.pk})
        return int(cursor.fetchone()[0] or 0)


def check_decimals_change(unit: UnitOfMeasure, decimals: object) -> None:
    """A unit cannot count more coarsely than the stock already recorded in it (2.5 pcs on hand: pcs keeps 1 place),
    or that stock could never be issued in full."""
    if unit.pk is None or not isinstance(decimals, int) or isinstance(decimals, bool) or decimals >= unit.decimals:
        return
    used = used_decimals(unit)
    if decimals < used:
        raise InventoryError(
            f"stock counted in {unit.code} already has quantities with {used} decimal place{'s' if used > 1 else ''}; "
            f"{unit.code} needs at least {used} (count or adjust that stock first)",
            field="decimals",
        )


# --- Conversions ------------------------------------------------------------------------------------------------------
def _parse_factor(value: object) -> Decimal:
    if isinstance(value, float):
        raise TypeError(f"factor must be a Decimal, int or str, not float ({value!r})")
    if isinstance(value, bool) or value is None or value == "":
        raise InventoryError("factor is required: how many of the stock unit one of this unit is", field="factor")
    if isinstance(value, str) and (problem := plain_decimal_error(value.strip())):
        raise InventoryError(f"factor {value!r} {problem}", field="factor")
    try:
        factor = value if isinstance(value, Decimal) else Decimal(str(value).strip())
    except InvalidOperation:
        raise InventoryError(f"factor {value!r} is not a number", field="factor") from None
    if not factor.is_finite() or factor <= 0:
        raise InventoryError(f"factor must be greater than zero, got {value}", field="factor")
    if factor >= _MAX_FACTOR or factor != factor.quantize(Decimal(1).scaleb(-_FACTOR_PLACES)):
        raise InventoryError(
            f"factor {_fmt(factor)} needs at most {_FACTOR_PLACES} decimal places and "
            f"{CONVERSION_FACTOR['max_digits'] - _FACTOR_PLACES} digits before the point",
            field="factor",
        )
    return factor


def conversion_create(*, item: Item, uom: UnitOfMeasure, factor: Decimal | int | str, user: User) -> ItemUnitConversion:
    """Say that 1 `uom` of `item` is `factor` x its stock unit (a box of 12 pcs: factor 12); one per item and unit."""
    factor = _parse_factor(factor)
    if item.pk is None or uom.pk is None:
        raise InventoryError("choose a saved item and unit", field="uom")
    if uom.pk == item.uom_id:
        raise InventoryError(
            f"{uom.code} is the stock unit of item {item.sku}; a conversion names another unit", field="uom"
        )
    conversion = ItemUnitConversion(item=item, uom=uom, factor=factor)
    try:
        with transaction.atomic():
            # The factor counts the item's stock unit: it must stay the one checked above until commit.
            hold_items([item], field="uom", error=InventoryError)
            conversion.save()
            audit_record(
                user=user,
                action="inventory.conversion_create",
                obj=conversion,
                changes={"item": [None, item.sku], "uom": [None, uom.code], "factor": [None, factor]},
            )
    except IntegrityError:
        raise InventoryError(
            f"item {item.sku} already converts to {uom.code}; change that conversion instead", field="uom"
        ) from None
    return conversion


def conversion_update(*, conversion: ItemUnitConversion, factor: Decimal | int | str, user: User) -> ItemUnitConversion:
    """Change a conversion's factor. Order lines already entered keep their stock quantities."""
    factor = _parse_factor(factor)
    before = snapshot(conversion, ["factor"])
    conversion.factor = factor
    with transaction.atomic():
        conversion.save(update_fields=["factor"])
        audit_record(
            user=user, action="inventory.conversion_update", obj=conversion, changes=changes_since(conversion, before)
        )
    return conversion


def conversion_delete(*, conversion: ItemUnitConversion, user: User) -> None:
    """Remove a conversion; order lines already entered in that unit keep their quantities."""
    with transaction.atomic():
        audit_record(
            user=user,
            action="inventory.conversion_delete",
            obj=conversion,
            changes={"uom": [conversion.uom.code, None], "factor": [conversion.factor, None]},
        )
        conversion.delete()
