"""Every write to inventory: items, locations, units, stock moves, reservations, CSV imports.

A stock move is one statement: the database function `inventory_post_move` (migration 0004) creates a missing
destination level row (INSERT ... ON CONFLICT DO NOTHING, before any lock is taken), locks the level rows it touches
with SELECT ... FOR UPDATE in primary-key order, checks the rule under the lock, inserts the move and updates the
levels, or refuses having written nothing. Two transactions therefore never deadlock on levels and never lose an
update; the database CHECKs (on hand >= 0, 0 <= reserved <= on hand) stand behind the checks done there.
Reservations and counts lock their one level row, check in Python and write in one more statement.
"""

from __future__ import annotations

import csv
import io
import logging
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from decimal import Decimal, InvalidOperation
from typing import NamedTuple

import psycopg.errors
from django.contrib.auth.models import AbstractBaseUser
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import DataError, IntegrityError, connection, transaction
from django.db.models import Model, ProtectedError
from django.utils import timezone

from audit.services import AUDIT_ROW_SQL, audit_record, audit_row_params, changes_since, snapshot
from core.errors import DomainError
from core.numbers import plain_decimal_error, plain_number_error
from inventory.models import (
    Item,
    ItemImport,
    Location,
    StockLevel,
    StockMove,
    UnitOfMeasure,
)
from inventory.selectors import item_by_sku

logger = logging.getLogger(__name__)

User = AbstractBaseUser | None
MAX_QUANTITY = Decimal("1e14")
QUANTITY_PLACES = 4


# --- Domain errors -------------------------------------------------------------------------------------------------
class InventoryError(DomainError):
    pass


class InvalidQuantity(InventoryError):
    pass


class InsufficientStock(InventoryError):
    pass


class InactiveItem(InventoryError):
    pass


class UnknownLocation(InventoryError):
    pass


class InactiveLocation(InventoryError):
    pass


class InvalidMove(InventoryError):
    pass


class MoveAlreadyReversed(InventoryError):
    pass


class ImportRefused(InventoryError):
    pass


# --- Quantities ----------------------------------------------------------------------------------------------------
def parse_quantity(value: object, *, field: str = "quantity", allow_zero: bool = False) -> Decimal:
    """`value` as a Decimal with at most 4 decimal places, greater than zero (or >= 0 with allow_zero).

    Floats are refused: a quantity must arrive exact (Decimal, int or a string of plain digits 0-9, see
    `core.numbers`: no Unicode digits, exponent or sign).
    """
    if isinstance(value, float):
        raise TypeError(f"{field} must be a Decimal, int or str, not float ({value!r})")
    if isinstance(value, bool) or value is None or value == "":
        raise InvalidQuantity(f"{field} is required and must be a number", field=field)
    if isinstance(value, str) and (problem := plain_decimal_error(value.strip())):
        raise InvalidQuantity(f"{field} {value!r} {problem}", field=field)
    try:
        quantity = value if isinstance(value, Decimal) else Decimal(str(value).strip())
    except InvalidOperation:
        raise InvalidQuantity(f"{field} {value!r} is not a number", field=field) from None
    if quantity.is_zero():
        quantity = abs(quantity)  # a Decimal("-0") from code: stored and shown as 0
    if not quantity.is_finite():
        raise InvalidQuantity(f"{field} {value!r} is not a number", field=field)
    if quantity < 0 or (quantity == 0 and not allow_zero):
        bound = "zero or more" if allow_zero else "greater than zero"
        raise InvalidQuantity(f"{field} must be {bound}, got {quantity}", field=field)
    if quantity >= MAX_QUANTITY:
        raise InvalidQuantity(f"{field} {quantity} is too large (at most {MAX_QUANTITY:,.0f})", field=field)
    if quantity != quantity.quantize(Decimal(1).scaleb(-QUANTITY_PLACES)):
        raise InvalidQuantity(f"{field} {quantity} has more than {QUANTITY_PLACES} decimal places", field=field)
    return quantity


# --- Stock moves ---------------------------------------------------------------------------------------------------
_SHAPES = {
    # reason: (needs from_location, needs to_location); None = either or both
    StockMove.Reason.RECEIPT: (False, True),
    StockMove.Reason.ISSUE: (True, False),
    StockMove.Reason.TRANSFER: (True, True),
    StockMove.Reason.ADJUSTMENT: (None, None),
    StockMove.Reason.PRODUCTION_CONSUMPTION: (True, False),
    StockMove.Reason.PRODUCTION_OUTPUT: (False, True),
    StockMove.Reason.SHIPMENT: (True, False),
}


# Reasons that only a document posts: `stock_move_post` (the API's and any generic caller's way in) refuses them
# without a source. The documents' own services post them with theirs (or through `stock_issue`).
_POSTED_BY = {
    StockMove.Reason.PRODUCTION_CONSUMPTION: "completing its work order",
    StockMove.Reason.PRODUCTION_OUTPUT: "completing its work order",
    StockMove.Reason.SHIPMENT: "shipping its sales order",
}


def _check_document(reason: str, source: Model | None) -> None:
    if source is None and reason in _POSTED_BY:
        label = StockMove.Reason(reason).label.lower()
        raise InvalidMove(
            f"a {label} move is posted by {_POSTED_BY[reason]}, not directly; use receipt, issue, transfer or "
            "adjustment",
            field="reason",
        )


def _check_shape(reason: str, from_location: Location | None, to_location: Location | None) -> None:
    if reason not in _SHAPES:
        raise InvalidMove(f"unknown reason {reason!r}: use one of {', '.join(StockMove.Reason.values)}", field="reason")
    needs_from, needs_to = _SHAPES[reason]
    label = StockMove.Reason(reason).label.lower()
    if needs_from is True and from_location is None:
        raise InvalidMove(f"a {label} needs a from location", field="from_location")
    if needs_from is False and from_location is not None:
        raise InvalidMove(f"a {label} comes from outside: leave the from location empty", field="from_location")
    if needs_to is True and to_location is None:
        raise InvalidMove(f"a {label} needs a to location", field="to_location")
    if needs_to is False and to_location is not None:
        raise InvalidMove(f"a {label} goes outside: leave the to location empty", field="to_location")
    if from_location is None and to_location is None:
        raise InvalidMove("a move needs a from location, a to location or both", field="to_location")
    if from_location is not None and to_location is not None and from_location.pk == to_location.pk:
        raise InvalidMove(f"from and to are the same location ({to_location.code})", field="to_location")


def _ensure_level(item: Item, location: Location) -> None:
    """Create the level row if missing (before any lock is taken) so it can be locked."""
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO inventory_stocklevel (item_id, location_id, on_hand, reserved) SELECT %s, %s, 0, 0"
            " WHERE NOT EXISTS (SELECT FROM inventory_stocklevel WHERE item_id = %s AND location_id = %s)"
            " ON CONFLICT DO NOTHING",
            [item.pk, location.pk, item.pk, location.pk],
        )


class _LockedLevel(NamedTuple):
    """A level row locked for this transaction, with the fresh active flags of its item and location."""

    pk: int
    location_id: int
    on_hand: Decimal
    reserved: Decimal
    item_is_active: bool
    location_is_active: bool
    location_code: str

    @property
    def available(self) -> Decimal:
        return self.on_hand - self.reserved


_LOCK_LEVEL = (
    "SELECT l.id, l.location_id, l.on_hand, l.reserved, i.is_active, loc.is_active, loc.code"
    " FROM inventory_stocklevel l"
    " JOIN inventory_item i ON i.id = l.item_id JOIN inventory_location loc ON loc.id = l.location_id"
    " WHERE l.item_id = %s AND l.location_id = %s FOR UPDATE OF l"
)


def _lock_level(item: Item, location: Location) -> _LockedLevel | None:
    """Lock the item's level row at `location` (one row: no ordering to keep); None when there is none."""
    with connection.cursor() as cursor:
        cursor.execute(_LOCK_LEVEL, [item.pk, location.pk])
        row = cursor.fetchone()
    return None if row is None else _LockedLevel(*row)


def _require_saved(location: Location, field: str) -> None:
    if location.pk is None:
        raise UnknownLocation(f"unknown location {location.code!r}: it has not been saved", field=field)


def _check_location(location: Location, level: _LockedLevel | None, field: str) -> None:
    if level is None:
        fresh = Location.objects.filter(pk=location.pk).values_list("is_active", "code").first()
        if location.pk is None or fresh is None:
            raise _unknown_location(location, field)
        is_active, code = fresh
    else:
        is_active, code = level.location_is_active, level.location_code
    if not is_active:
        raise _inactive_location(code, field)


def _check_item(item: Item, level: _LockedLevel | None) -> None:
    if not (level.item_is_active if level is not None else item.is_active):
        raise _inactive_item(item)


def _inactive_item(item: Item) -> InactiveItem:
    return InactiveItem(f"item {item.sku} is inactive; activate it before moving its stock", field="item")


def _unknown_location(location: Location, field: str) -> UnknownLocation:
    return UnknownLocation(f"unknown location {location.code or location.pk!r}", field=field)


def _inactive_location(code: str, field: str) -> InactiveLocation:
    return InactiveLocation(f"location {code} is inactive; activate it or choose another", field=field)


def _insufficient(item: Item, location: Location, available: Decimal, asked: Decimal) -> InsufficientStock:
    return InsufficientStock(
        f"insufficient stock: item {item.sku} at {location.code} has {available.normalize():f} available, "
        f"{asked.normalize():f} asked",
        field="quantity",
    )


MAX_LEVEL = MAX_QUANTITY - Decimal(1).scaleb(-QUANTITY_PLACES)  # what a numeric(18, 4) column holds


def _level_too_large(item: Item, code: str, on_hand: Decimal, asked: Decimal) -> InvalidQuantity:
    return InvalidQuantity(
        f"item {item.sku} at {code} holds {on_hand.normalize():f}; {asked.normalize():f} more would pass "
        f"{MAX_LEVEL:f}, the most a stock level holds",
        field="quantity",
    )


def _reserved_short(item: Item, location: Location, reserved: Decimal, asked: Decimal, what: str) -> InvalidQuantity:
    return InvalidQuantity(
        f"item {item.sku} at {location.code} has {reserved.normalize():f} reserved, {asked.normalize():f} asked {what}",
        field="quantity",
    )


@contextmanager
def _overflow_refused(item: Item, quantity: Decimal) -> Iterator[None]:
    """A quantity the database cannot hold ("numeric field overflow") is a refusal with a message, not a 500."""
    try:
        yield
    except DataError as exc:
        if not isinstance(exc.__cause__, psycopg.errors.NumericValueOutOfRange):
            raise
        raise InvalidQuantity(
            f"{quantity.normalize():f} of item {item.sku} would take a stock quantity past {MAX_LEVEL:f}, the most "
            "it holds",
            field="quantity",
        ) from None


# One round trip: the database function (migration 0004) creates a missing destination level, locks the levels in
# primary-key order, checks the rules, inserts the move and updates the levels, or refuses having written nothing.
# The audit entry is written by the same statement, only for a move that was posted.
_POST_MOVE = (
    "WITH posted AS (SELECT * FROM inventory_post_move(%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)),"
    f" audit AS ({AUDIT_ROW_SQL.format(object_id='move_id', source='posted')} WHERE outcome = 'ok')"
    " SELECT * FROM posted"
)


def _post_move(
    *,
    item: Item,
    quantity: Decimal,
    reason: str,
    from_location: Location | None,
    to_location: Location | None,
    user: User,
    reference: str = "",
    source: Model | None = None,
    reverses: StockMove | None = None,
    from_reservation: bool = False,
    check_active: bool = True,
) -> StockMove:
    """Post one move, update its levels and write its audit entry, all or nothing.

    One statement, so it is a transaction of its own, or part of the caller's (orders, production) when one is
    open: no BEGIN/COMMIT or savepoint round trips. A refusal writes nothing, so the caller's transaction stays
    usable.
    """
    if item.pk is None:
        raise InvalidMove("the item has not been saved", field="item")
    if check_active and not item.is_active:
        raise _inactive_item(item)
    for location, field in ((from_location, "from_location"), (to_location, "to_location")):
        if location is not None:
            _require_saved(location, field)
    created_by = user if user is not None and user.is_authenticated else None
    source_type = ContentType.objects.get_for_model(source) if source is not None else None
    reference = reference.strip()[:200]
    created_at = timezone.now()
    with _overflow_refused(item, quantity), connection.cursor() as cursor:
        cursor.execute(
            _POST_MOVE,
            [
                item.pk,
                quantity,
                reason,
                from_location.pk if from_location is not None else None,
                to_location.pk if to_location is not None else None,
                reference,
                source_type.pk if source_type is not None else None,
                source.pk if source is not None else None,
                reverses.pk if reverses is not None else None,
                created_by.pk if created_by is not None else None,
                created_at,
                from_reservation,
                check_active,
                *audit_row_params(
                    user=created_by,
                    action=f"inventory.stock_{reason}",
                    object_type="inventory.stockmove",
                    summary=f"{reason} {quantity} of {item.sku}",
                    changes={
                        "item": [None, item.sku],
                        "quantity": [None, quantity],
                        "from_location": [None, from_location.code if from_location is not None else None],
                        "to_location": [None, to_location.code if to_location is not None else None],
                        "reference": [None, reference],
                        **({"reverses": [None, reverses.pk]} if reverses is not None else {}),
                    },
                ),
            ],
        )
        outcome, field, move_id, amount, code = cursor.fetchone()
    if outcome != "ok":
        location = from_location if field == "from_location" or field == "quantity" else to_location
        if outcome == "insufficient":
            raise _insufficient(item, location, amount, quantity)
        if outcome == "reserved_short":
            raise _reserved_short(item, location, amount, quantity, "from the reservation")
        if outcome == "inactive_item":
            raise _inactive_item(item)
        if outcome == "unknown_location":
            raise _unknown_location(location, field)
        if outcome == "inactive_location":
            raise _inactive_location(code, field)
        if outcome == "level_too_large":
            raise _level_too_large(item, code, amount, quantity)
        raise InvalidMove(f"unknown item {item.sku!r}", field="item")  # 'unknown_item': deleted meanwhile
    move = StockMove(
        pk=move_id,
        item=item,
        quantity=quantity,
        reason=reason,
        from_location=from_location,
        to_location=to_location,
        reference=reference,
        source_type=source_type,
        source_id=source.pk if source is not None else None,
        reverses=reverses,
        created_by=created_by,
        created_at=created_at,
    )
    if source is not None:
        move.source = source
    move._state.adding, move._state.db = False, connection.alias
    return move


def stock_move_post(
    *,
    item: Item,
    quantity: Decimal | int | str,
    reason: str,
    from_location: Location | None = None,
    to_location: Location | None = None,
    user: User,
    reference: str = "",
    source: Model | None = None,
) -> StockMove:
    """Post one move of any reason; the reason decides which locations it needs (a receipt only `to`, etc.).

    Stock leaving a location must be available there (on hand - reserved), the item and locations must be active.
    Shipments and production moves are posted by their documents only (with `source`).
    """
    quantity = parse_quantity(quantity)
    _check_shape(reason, from_location, to_location)
    _check_document(reason, source)
    return _post_move(
        item=item,
        quantity=quantity,
        reason=reason,
        from_location=from_location,
        to_location=to_location,
        user=user,
        reference=reference,
        source=source,
    )


def stock_receive(
    *,
    item: Item,
    location: Location,
    quantity: Decimal | int | str,
    user: User,
    reference: str = "",
    source: Model | None = None,
) -> StockMove:
    """Stock arrives from outside into `location`."""
    return stock_move_post(
        item=item,
        quantity=quantity,
        reason=StockMove.Reason.RECEIPT,
        to_location=location,
        user=user,
        reference=reference,
        source=source,
    )


def stock_issue(
    *,
    item: Item,
    location: Location,
    quantity: Decimal | int | str,
    user: User,
    reason: str = StockMove.Reason.ISSUE,
    reference: str = "",
    source: Model | None = None,
    from_reservation: bool = False,
) -> StockMove:
    """Stock leaves `location` to outside (issue, production consumption, shipment).

    Without `from_reservation` only available stock may leave; with it the quantity consumes a reservation made
    earlier by `stock_reserve` (reserved and on hand both go down).
    """
    quantity = parse_quantity(quantity)
    _check_shape(reason, location, None)
    return _post_move(
        item=item,
        quantity=quantity,
        reason=reason,
        from_location=location,
        to_location=None,
        user=user,
        reference=reference,
        source=source,
        from_reservation=from_reservation,
    )


def stock_transfer(
    *,
    item: Item,
    from_location: Location,
    to_location: Location,
    quantity: Decimal | int | str,
    user: User,
    reference: str = "",
) -> StockMove:
    """Available stock moves between two locations of this tenant."""
    return stock_move_post(
        item=item,
        quantity=quantity,
        reason=StockMove.Reason.TRANSFER,
        from_location=from_location,
        to_location=to_location,
        user=user,
        reference=reference,
    )


def stock_adjust(
    *,
    item: Item,
    location: Location,
    counted_quantity: Decimal | int | str,
    user: User,
    reference: str = "",
) -> StockMove | None:
    """Set on hand at `location` to a counted quantity by posting the difference as an adjustment move.

    Returns None when the count equals on hand (nothing to post). A count below the reserved quantity is refused:
    release the reservation first.
    """
    counted = parse_quantity(counted_quantity, field="counted_quantity", allow_zero=True)
    _require_saved(location, "location")
    if not item.is_active:
        raise InactiveItem(f"item {item.sku} is inactive; activate it before moving its stock", field="item")
    with transaction.atomic():
        _ensure_level(item, location)
        level = _lock_level(item, location)
        _check_location(location, level, "location")
        _check_item(item, level)
        if counted < level.reserved:
            raise InvalidQuantity(
                f"item {item.sku} at {location.code} has {level.reserved.normalize():f} reserved; "
                f"a count of {counted.normalize():f} is below it: release the reservation first",
                field="counted_quantity",
            )
        delta = counted - level.on_hand
        if delta == 0:
            return None
        # The level is already locked: posting re-locks it in this transaction, which costs nothing.
        return _post_move(
            item=item,
            quantity=abs(delta),
            reason=StockMove.Reason.ADJUSTMENT,
            from_location=location if delta < 0 else None,
            to_location=location if delta > 0 else None,
            user=user,
            reference=reference or f"count: {counted.normalize():f}",
        )


def stock_move_reverse(*, move: StockMove, user: User, reference: str = "") -> StockMove:
    """Cancel a move by posting its mirror image (same item, quantity and reason; locations swapped).

    A move is reversed at most once, and a reversal is not itself reversed (post a new move instead). Reversing
    needs the stock to be there: a receipt whose goods were already issued cannot be reversed.
    """
    if move.reverses_id is not None:
        raise MoveAlreadyReversed(
            f"move #{move.pk} is itself the reversal of move #{move.reverses_id}; post a new move instead"
        )
    if StockMove.objects.filter(reverses_id=move.pk).exists():
        raise MoveAlreadyReversed(f"move #{move.pk} has already been reversed")
    try:
        # A savepoint when nested: losing the race below must leave the caller's transaction usable.
        with transaction.atomic():
            return _post_move(
                item=move.item,
                quantity=move.quantity,
                reason=move.reason,
                from_location=move.to_location,
                to_location=move.from_location,
                user=user,
                reference=reference or f"reversal of move #{move.pk}",
                reverses=move,
                check_active=False,
            )
    except IntegrityError:
        if StockMove.objects.filter(reverses_id=move.pk).exists():
            raise MoveAlreadyReversed(f"move #{move.pk} has already been reversed") from None
        raise


# --- Reservations --------------------------------------------------------------------------------------------------
def stock_reserve(
    *, item: Item, location: Location, quantity: Decimal | int | str, user: User, reference: str = ""
) -> StockLevel:
    """Set available stock aside (for an order or a production job); it stays on hand but cannot be issued."""
    return _change_reservation(item=item, location=location, delta=parse_quantity(quantity), user=user, ref=reference)


def stock_unreserve(
    *, item: Item, location: Location, quantity: Decimal | int | str, user: User, reference: str = ""
) -> StockLevel:
    """Release reserved stock back to available."""
    return _change_reservation(item=item, location=location, delta=-parse_quantity(quantity), user=user, ref=reference)


_CHANGE_RESERVATION = (
    "WITH level AS (UPDATE inventory_stocklevel SET reserved = reserved + %s WHERE id = %s"
    " RETURNING id, item_id, location_id, on_hand, reserved),"
    " entry AS (INSERT INTO inventory_reservationentry (item_id, location_id, quantity, reference, created_by_id,"
    " created_at) VALUES (%s, %s, %s, %s, %s, %s)),"
    f" audit AS ({AUDIT_ROW_SQL.format(object_id='id', source='level')})"
    " SELECT id, item_id, location_id, on_hand, reserved FROM level"
)


def _change_reservation(*, item: Item, location: Location, delta: Decimal, user: User, ref: str) -> StockLevel:
    """Lock the level, check the rule, then change `reserved` and write the audit entry in one statement."""
    _require_saved(location, "location")
    created_by = user if user is not None and user.is_authenticated else None
    with transaction.atomic():
        level = _lock_level(item, location)
        _check_location(location, level, "location")
        if delta > 0:
            _check_item(item, level)
            available = level.available if level is not None else Decimal(0)
            if available < delta:
                raise _insufficient(item, location, available, delta)
        else:
            reserved = level.reserved if level is not None else Decimal(0)
            if reserved < -delta:
                raise _reserved_short(item, location, reserved, -delta, "to release")
        new_reserved = level.reserved + delta
        with connection.cursor() as cursor:
            cursor.execute(
                _CHANGE_RESERVATION,
                [
                    delta,
                    level.pk,
                    item.pk,
                    location.pk,
                    delta,
                    ref.strip()[:200],
                    created_by.pk if created_by is not None else None,
                    timezone.now(),
                    *audit_row_params(
                        user=created_by,
                        action="inventory.stock_reserve" if delta > 0 else "inventory.stock_unreserve",
                        object_type="inventory.stocklevel",
                        summary=f"reserved {level.reserved:f} -> {new_reserved:f} of {item.sku} at {location.code}",
                        changes={"reserved": [level.reserved, new_reserved], "reference": [None, ref.strip()]},
                    ),
                ],
            )
            row = cursor.fetchone()
    changed = StockLevel(pk=row[0], item_id=row[1], location_id=row[2], on_hand=row[3], reserved=row[4])
    changed._state.adding, changed._state.db = False, connection.alias
    return changed


# --- Master data ---------------------------------------------------------------------------------------------------
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


# --- CSV import of items -------------------------------------------------------------------------------------------
MAX_IMPORT_BYTES = 5 * 1024 * 1024
IMPORT_COLUMNS = (
    "sku",
    "name",
    "uom",
    "kind",
    "description",
    "reorder_point",
    "reorder_quantity",
    "lead_time_days",
    "standard_cost",
    "active",
)
ATTRIBUTE_PREFIX = "attr."
_PROGRESS_EVERY = 50


def item_import_create(*, file_name: str, data: bytes, user: User) -> ItemImport:
    """Store an uploaded CSV and queue its import once committed; the header is checked now, rows by the task."""
    if len(data) > MAX_IMPORT_BYTES:
        raise ImportRefused(f"the file is larger than {MAX_IMPORT_BYTES // (1024 * 1024)} MB; split it", field="file")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ImportRefused("the file is not UTF-8 text; save it as CSV UTF-8", field="file") from None
    header = next(csv.reader(io.StringIO(text)), None)
    _check_header(header)
    from inventory.tasks import import_items

    with transaction.atomic():
        job = ItemImport.objects.create(
            file_name=file_name[:255],
            content=text,
            total_rows=max(sum(1 for _ in csv.reader(io.StringIO(text))) - 1, 0),
            created_by=user if user is not None and user.is_authenticated else None,
        )
        audit_record(
            user=user,
            action="inventory.item_import_create",
            obj=job,
            changes={"file_name": [None, job.file_name], "total_rows": [None, job.total_rows]},
        )
        transaction.on_commit(lambda: import_items.delay(job.pk))
    return job


def _check_header(header: list[str] | None) -> list[str]:
    if not header:
        raise ImportRefused("the file is empty; the first line must name the columns (sku, name, uom, ...)")
    columns = [column.strip().lower() for column in header]
    unknown = [c for c in columns if c not in IMPORT_COLUMNS and not c.startswith(ATTRIBUTE_PREFIX)]
    if unknown:
        raise ImportRefused(
            f"unknown column(s) {', '.join(unknown)}: use {', '.join(IMPORT_COLUMNS)} or attr.<name>", field="file"
        )
    if "sku" not in columns:
        raise ImportRefused("the first line must name a sku column", field="file")
    duplicates = sorted({c for c in columns if columns.count(c) > 1})
    if duplicates:
        raise ImportRefused(f"column(s) {', '.join(duplicates)} appear more than once", field="file")
    return columns


def item_import_run(*, job_id: int) -> ItemImport:
    """Run a CSV import, one row per transaction: valid rows are kept, each bad row is recorded as
    {line, sku, reason} and skipped. A row creates the item for an unknown SKU (name and uom required) or updates
    the item with that SKU (empty cells leave its fields unchanged). A file whose header is wrong fails as a whole.
    """
    with transaction.atomic():
        job = ItemImport.objects.select_for_update().get(pk=job_id)
        if job.is_finished:
            return job  # a redelivered task does not import twice
        # Pending, or running when a worker died mid-way: rows are upserts by SKU, so starting over is safe.
        job.status, job.started_at = ItemImport.Status.RUNNING, timezone.now()
        job.processed_rows = job.created_count = job.updated_count = 0
        job.errors = []
        job.save(update_fields=["status", "started_at", "processed_rows", "created_count", "updated_count", "errors"])

    reader = csv.reader(io.StringIO(job.content))
    try:
        columns = _check_header(next(reader, None))
    except ImportRefused as exc:
        job.status, job.failure, job.finished_at = ItemImport.Status.FAILED, exc.message, timezone.now()
        job.save(update_fields=["status", "failure", "finished_at"])
        return job

    units = {unit.code.lower(): unit for unit in UnitOfMeasure.objects.all()}
    for cells in reader:
        line = reader.line_num
        if not any(cell.strip() for cell in cells):
            job.processed_rows += 1
            continue
        row = dict(zip(columns, (cell.strip() for cell in cells), strict=False))
        try:
            if len(cells) > len(columns):
                raise ImportRefused(f"{len(cells)} cells but the header names {len(columns)} columns")
            created = _import_row(row, units, user=job.created_by)
        except (DomainError, ValidationError) as exc:
            job.errors.append({"line": line, "sku": row.get("sku", ""), "reason": _reason(exc)})
        else:
            if created:
                job.created_count += 1
            else:
                job.updated_count += 1
        job.processed_rows += 1
        if job.processed_rows % _PROGRESS_EVERY == 0:
            job.save(update_fields=["processed_rows", "created_count", "updated_count", "errors"])
    job.total_rows = max(job.total_rows, job.processed_rows)
    job.status, job.finished_at = ItemImport.Status.DONE, timezone.now()
    job.save()
    return job


def _reason(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        if hasattr(exc, "error_dict"):
            return "; ".join(f"{field}: {' '.join(msgs)}" for field, msgs in exc.message_dict.items())
        return " ".join(exc.messages)
    return exc.message


_IMPORT_DECIMALS = ("reorder_point", "reorder_quantity", "standard_cost")


def _import_row(row: dict[str, str], units: dict[str, UnitOfMeasure], *, user: User) -> bool:
    """Create or update one item from a CSV row, recorded under `user` (who uploaded the file); True when created."""
    sku = row.get("sku", "")
    if not sku:
        raise ImportRefused("sku is empty")
    fields: dict[str, object] = {}
    for name in ("name", "description"):
        if row.get(name):
            fields[name] = row[name]
    if row.get("uom"):
        if row["uom"].lower() not in units:
            raise ImportRefused(f"unknown unit {row['uom']!r}: use one of {', '.join(sorted(units))}")
        fields["uom"] = units[row["uom"].lower()]
    if row.get("kind"):
        kinds = {value: value for value in Item.Kind.values} | {label.lower(): v for v, label in Item.Kind.choices}
        if row["kind"].lower() not in kinds:
            raise ImportRefused(f"unknown kind {row['kind']!r}: use one of {', '.join(Item.Kind.values)}")
        fields["kind"] = kinds[row["kind"].lower()]
    for name in _IMPORT_DECIMALS:
        if row.get(name):
            fields[name] = parse_quantity(row[name], field=name, allow_zero=True)
    if row.get("lead_time_days"):
        if plain_number_error(row["lead_time_days"], whole=True):  # str.isdigit() takes any Unicode digit
            raise ImportRefused(f"lead_time_days {row['lead_time_days']!r} is not a whole number of days")
        fields["lead_time_days"] = int(row["lead_time_days"])  # at most MAX_LEAD_TIME_DAYS: the model validates
    if row.get("active"):
        flag = row["active"].lower()
        if flag not in {"1", "0", "true", "false", "yes", "no"}:
            raise ImportRefused(f"active {row['active']!r} must be yes or no")
        fields["is_active"] = flag in {"1", "true", "yes"}
    attributes = {k.removeprefix(ATTRIBUTE_PREFIX): v for k, v in row.items() if k.startswith(ATTRIBUTE_PREFIX) and v}

    with transaction.atomic():
        item = item_by_sku(sku).select_for_update().first()
        if item is None:
            missing = [name for name in ("name", "uom") if name not in fields]
            if missing:
                raise ImportRefused(f"new item {sku} needs {' and '.join(missing)}")
            item_create(sku=sku, user=user, attributes=attributes, **fields)
            return True
        if attributes:
            fields["attributes"] = {**item.attributes, **attributes}
        item_update(item=item, user=user, **fields)
        return False
