"""Stock level rows: created before any lock, locked in primary-key order, and the checks made under the lock
(active item and location, enough available, room left in a numeric(18, 4) column) with their messages."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal
from typing import NamedTuple

import psycopg.errors
from django.db import DataError, connection

from core.numbers import MAX_QUANTITY, QUANTITY_PLACES
from inventory.models import Item, Location
from inventory.services.errors import (
    InactiveItem,
    InactiveLocation,
    InsufficientStock,
    InvalidQuantity,
    UnknownLocation,
)

MAX_LEVEL = MAX_QUANTITY - Decimal(1).scaleb(-QUANTITY_PLACES)  # what a numeric(18, 4) column holds


def ensure_level(item: Item, location: Location) -> None:
    """Create the level row if missing (before any lock is taken) so it can be locked."""
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO inventory_stocklevel (item_id, location_id, on_hand, reserved) SELECT %s, %s, 0, 0"
            " WHERE NOT EXISTS (SELECT FROM inventory_stocklevel WHERE item_id = %s AND location_id = %s)"
            " ON CONFLICT DO NOTHING",
            [item.pk, location.pk, item.pk, location.pk],
        )


class LockedLevel(NamedTuple):
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
    " WHERE l.item_id = %s AND l.location_id = %s FOR KEY SHARE OF i FOR UPDATE OF l"
)


def lock_level(item: Item, location: Location) -> LockedLevel | None:
    """Lock the item's level row at `location` (one row: no ordering to keep) and hold the item FOR KEY SHARE
    (inventory.services.locking, step 0); None when there is no level row (and then nothing is held)."""
    with connection.cursor() as cursor:
        cursor.execute(_LOCK_LEVEL, [item.pk, location.pk])
        row = cursor.fetchone()
    return None if row is None else LockedLevel(*row)


def require_saved(location: Location, field: str) -> None:
    if location.pk is None:
        raise UnknownLocation(f"unknown location {location.code!r}: it has not been saved", field=field)


def check_location(location: Location, level: LockedLevel | None, field: str) -> None:
    if level is None:
        fresh = Location.objects.filter(pk=location.pk).values_list("is_active", "code").first()
        if location.pk is None or fresh is None:
            raise unknown_location(location, field)
        is_active, code = fresh
    else:
        is_active, code = level.location_is_active, level.location_code
    if not is_active:
        raise inactive_location(code, field)


def check_item(item: Item, level: LockedLevel | None) -> None:
    if not (level.item_is_active if level is not None else item.is_active):
        raise inactive_item(item)


def inactive_item(item: Item) -> InactiveItem:
    return InactiveItem(f"item {item.sku} is inactive; activate it before moving its stock", field="item")


def unknown_location(location: Location, field: str) -> UnknownLocation:
    return UnknownLocation(f"unknown location {location.code or location.pk!r}", field=field)


def inactive_location(code: str, field: str) -> InactiveLocation:
    return InactiveLocation(f"location {code} is inactive; activate it or choose another", field=field)


def insufficient(item: Item, location: Location, available: Decimal, asked: Decimal) -> InsufficientStock:
    return InsufficientStock(
        f"insufficient stock: item {item.sku} at {location.code} has {available.normalize():f} available, "
        f"{asked.normalize():f} asked",
        field="quantity",
    )


def level_too_large(item: Item, code: str, on_hand: Decimal, asked: Decimal) -> InvalidQuantity:
    return InvalidQuantity(
        f"item {item.sku} at {code} holds {on_hand.normalize():f}; {asked.normalize():f} more would pass "
        f"{MAX_LEVEL:f}, the most a stock level holds",
        field="quantity",
    )


def reserved_short(item: Item, location: Location, reserved: Decimal, asked: Decimal, what: str) -> InvalidQuantity:
    return InvalidQuantity(
        f"item {item.sku} at {location.code} has {reserved.normalize():f} reserved, {asked.normalize():f} asked {what}",
        field="quantity",
    )


@contextmanager
def overflow_refused(item: Item, quantity: Decimal) -> Iterator[None]:
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
