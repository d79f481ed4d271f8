"""Reading order input: money, plan dates, items and quantities of lines, each refused with the field it is about."""

from __future__ import annotations

import datetime
from decimal import Decimal, InvalidOperation

from django.contrib.auth.models import AbstractBaseUser

from core.errors import DomainError
from core.numbers import plain_decimal_error
from core.validators import plan_date_error
from inventory import services as inventory
from inventory.models import Item, UnitOfMeasure
from orders.services.errors import InvalidOrderLine

User = AbstractBaseUser | None
MONEY_PLACES = 4


def money(value: object, *, field: str) -> Decimal:
    if isinstance(value, float):
        raise TypeError(f"{field} must be a Decimal, int or str, not float ({value!r})")
    if isinstance(value, bool) or value is None or value == "":
        raise InvalidOrderLine(f"{field} is required", field=field)
    if isinstance(value, str) and (problem := plain_decimal_error(value.strip())):
        raise InvalidOrderLine(f"{field} {value!r} {problem}", field=field)
    try:
        amount = value if isinstance(value, Decimal) else Decimal(str(value).strip())
    except InvalidOperation:
        raise InvalidOrderLine(f"{field} {value!r} is not a number", field=field) from None
    if not amount.is_finite() or amount < 0:
        raise InvalidOrderLine(f"{field} must be zero or more, got {value}", field=field)
    if amount >= inventory.MAX_QUANTITY or amount != amount.quantize(Decimal(1).scaleb(-MONEY_PLACES)):
        raise InvalidOrderLine(
            f"{field} {amount} needs at most {MONEY_PLACES} decimal places and 14 digits", field=field
        )
    return amount


def plan_date(value: object, *, field: str) -> datetime.date:
    """A date within the planning bounds, from a date, a datetime or an ISO string."""
    if isinstance(value, datetime.datetime):
        day = value.date()
    elif isinstance(value, datetime.date):
        day = value
    else:
        try:
            day = datetime.date.fromisoformat(str(value))
        except ValueError:
            raise InvalidOrderLine(f"{field} {value!r} is not a date (YYYY-MM-DD)", field=field) from None
    problem = plan_date_error(day)
    if problem:
        raise InvalidOrderLine(f"{field} {problem}", field=field)
    return day


def line_item(item: object, *, where: str) -> Item:
    if not isinstance(item, Item) or item.pk is None:
        raise InvalidOrderLine(f"{where}: item is required", field="lines")
    if not item.is_active:
        raise InvalidOrderLine(f"{where}: item {item.sku} is inactive", field="lines")
    return item


def line_quantity(value: object, *, where: str) -> Decimal:
    try:
        return inventory.parse_quantity(value)
    except DomainError as exc:
        raise InvalidOrderLine(f"{where}: {exc.message}", field="lines") from None


def line_unit(value: object, *, where: str) -> UnitOfMeasure | None:
    """The unit a line is entered in; None (the item's stock unit) when not given."""
    if value is None or value == "":
        return None
    if not isinstance(value, UnitOfMeasure) or value.pk is None:
        raise InvalidOrderLine(f"{where}: choose an existing unit", field="lines")
    return value
