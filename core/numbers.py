"""Numbers typed by people and programs: plain ASCII digits, one rule for quantities, money and ids everywhere.

Python's `int()` and `Decimal()` read any Unicode digit (Arabic-Indic or fullwidth twelve is 12), exponents
("1e3"), signs and underscores ("1_000"); so did every form, serializer and service that parsed with them. Here a
number is what a person sees on the page: digits 0-9 and at most one decimal point. Nothing we store is negative, so
a sign is refused too ("-0" is not a zero anyone meant to type). The API fields (`core.api_fields`), the forms and
the services' parsers all call `plain_number_error`, so the rule and its messages are written once.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

from core.errors import DomainError, InvalidQuantity

QUANTITY_PLACES = 4
MAX_QUANTITY = Decimal("1e14")  # a numeric(18, 4) column holds less
QUANTITY = {"max_digits": 18, "decimal_places": QUANTITY_PLACES}
"""Settings of every quantity field: model, form and serializer (`DecimalField(**QUANTITY)`)."""
MONEY_PLACES = 4
MONEY = {"max_digits": 18, "decimal_places": MONEY_PLACES}
"""Settings of every money field (prices, costs)."""

_DECIMAL = re.compile(r"(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)", re.ASCII)
_WHOLE = re.compile(r"[0-9]+", re.ASCII)
_SIGNED = re.compile(r"[-+](?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)", re.ASCII)


COMMA_PROBLEM = "has a comma: use a dot for decimals, e.g. 2.5, and no thousands separators"


def plain_number_error(text: str, *, whole: bool = False) -> str | None:
    """Why `text` (already stripped) is not a plain number (a whole one with `whole`), or None when it is."""
    if (_WHOLE if whole else _DECIMAL).fullmatch(text):
        return None
    if "," in text:
        # "2,5": two and a half to some, twenty-five to others ("1,000"). Never guessed: the tenant's locale is not
        # known to the parser, so a comma is refused whatever it was meant as.
        return COMMA_PROBLEM
    if _SIGNED.fullmatch(text):
        return "must be zero or more, written without a sign" if text[0] == "-" else "must be written without a sign"
    if whole and _DECIMAL.fullmatch(text):
        return "is not a whole number"
    if whole:
        return "is not a whole number in plain digits 0-9, e.g. 12"
    return "is not a number in plain digits 0-9 (with an optional decimal point), e.g. 12.5"


def plain_decimal_error(text: str) -> str | None:
    """`plain_number_error` for a decimal, except that a negative number ("-5") passes: the caller's range rule
    refuses it with its own message ("must be greater than zero"). "-0" and "+5" are refused here."""
    if text[:1] == "-" and _DECIMAL.fullmatch(text[1:]) and text[1:].strip("0.") != "":
        return None
    return plain_number_error(text)


def is_plain_id(value: object) -> bool:
    """An id as JSON, a form or a URL sends it: a non-negative int (not a bool), or a string of digits 0-9."""
    if isinstance(value, bool):
        return False
    if isinstance(value, int):
        return value >= 0
    return isinstance(value, str) and _WHOLE.fullmatch(value.strip()) is not None


def parse_quantity(
    value: object, *, field: str = "quantity", allow_zero: bool = False, error: type[DomainError] = InvalidQuantity
) -> Decimal:
    """`value` as a Decimal with at most 4 decimal places, greater than zero (or >= 0 with allow_zero).

    Floats are refused: a quantity must arrive exact (Decimal, int or a string of plain digits 0-9: no Unicode digits,
    exponent or sign). A refusal raises `error` on `field`.
    """
    if isinstance(value, float):
        raise TypeError(f"{field} must be a Decimal, int or str, not float ({value!r})")
    if isinstance(value, bool) or value is None or value == "":
        raise error(f"{field} is required and must be a number", field=field)
    if isinstance(value, str) and (problem := plain_decimal_error(value.strip())):
        raise error(f"{field} {value!r} {problem}", field=field)
    try:
        quantity = value if isinstance(value, Decimal) else Decimal(str(value).strip())
    except InvalidOperation:
        raise error(f"{field} {value!r} is not a number", field=field) from None
    if quantity.is_zero():
        quantity = abs(quantity)  # a Decimal("-0") from code: stored and shown as 0
    if not quantity.is_finite():
        raise error(f"{field} {value!r} is not a number", field=field)
    if quantity < 0 or (quantity == 0 and not allow_zero):
        bound = "zero or more" if allow_zero else "greater than zero"
        raise error(f"{field} must be {bound}, got {quantity}", field=field)
    if quantity >= MAX_QUANTITY:
        raise error(f"{field} {quantity} is too large (at most {MAX_QUANTITY:,.0f})", field=field)
    if quantity != quantity.quantize(Decimal(1).scaleb(-QUANTITY_PLACES)):
        raise error(f"{field} {quantity} has more than {QUANTITY_PLACES} decimal places", field=field)
    return quantity


def parse_money(value: object, *, field: str, error: type[DomainError] = InvalidQuantity) -> Decimal:
    """`value` as an amount of money: zero or more, at most 4 decimal places and 14 digits; floats are refused."""
    if isinstance(value, float):
        raise TypeError(f"{field} must be a Decimal, int or str, not float ({value!r})")
    if isinstance(value, bool) or value is None or value == "":
        raise error(f"{field} is required", field=field)
    if isinstance(value, str) and (problem := plain_decimal_error(value.strip())):
        raise error(f"{field} {value!r} {problem}", field=field)
    try:
        amount = value if isinstance(value, Decimal) else Decimal(str(value).strip())
    except InvalidOperation:
        raise error(f"{field} {value!r} is not a number", field=field) from None
    if not amount.is_finite() or amount < 0:
        raise error(f"{field} must be zero or more, got {value}", field=field)
    if amount >= MAX_QUANTITY or amount != amount.quantize(Decimal(1).scaleb(-MONEY_PLACES)):
        raise error(f"{field} {amount} needs at most {MONEY_PLACES} decimal places and 14 digits", field=field)
    return amount
