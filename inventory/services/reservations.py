"""Reservations: available stock set aside for an order or a job; it stays on hand but cannot be issued."""

from __future__ import annotations

from decimal import Decimal

from django.db import connection, transaction
from django.utils import timezone

from audit.services import AUDIT_ROW_SQL, audit_row_params
from core.numbers import parse_quantity
from core.retry import retry_on_conflict
from core.users import User, acting_user
from inventory.models import Item, Location, StockLevel
from inventory.services.levels import (
    check_item,
    check_location,
    insufficient,
    lock_level,
    require_saved,
    reserved_short,
)
from inventory.services.units import check_item_quantity


@retry_on_conflict
def stock_reserve(
    *, item: Item, location: Location, quantity: Decimal | int | str, user: User, reference: str = ""
) -> StockLevel:
    """Set available stock aside (for an order or a production job); it stays on hand but cannot be issued."""
    delta = check_item_quantity(item, parse_quantity(quantity))
    return _change_reservation(item=item, location=location, delta=delta, user=user, ref=reference)


@retry_on_conflict
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
    require_saved(location, "location")
    created_by = acting_user(user)
    with transaction.atomic():
        level = lock_level(item, location)
        check_location(location, level, "location")
        if delta > 0:
            check_item(item, level)
            available = level.available if level is not None else Decimal(0)
            if available < delta:
                raise insufficient(item, location, available, delta)
        else:
            reserved = level.reserved if level is not None else Decimal(0)
            if reserved < -delta:
                raise reserved_short(item, location, reserved, -delta, "to release")
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
