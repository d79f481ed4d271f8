"""Numbers typed by people and programs: plain ASCII digits, one rule for quantities, money and ids everywhere.

Python's `int()` and `Decimal()` read any Unicode digit (Arabic-Indic or fullwidth twelve is 12), exponents
("1e3"), signs and underscores ("1_000"); so did every form, serializer and service that parsed with them. Here a
number is what a person sees on the page: digits 0-9 and at most one decimal point. Nothing we store is negative, so
a sign is refused too ("-0" is not a zero anyone meant to type). The API fields (`erp.api_fields`), the forms and
the services' parsers all call `plain_number_error`, so the rule and its messages are written once.
"""

from __future__ import annotations

import re

_DECIMAL = re.compile(r"(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)", re.ASCII)
_WHOLE = re.compile(r"[0-9]+", re.ASCII)
_SIGNED = re.compile(r"[-+](?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)", re.ASCII)


def plain_number_error(text: str, *, whole: bool = False) -> str | None:
    """Why `text` (already stripped) is not a plain number (a whole one with `whole`), or None when it is."""
    if (_WHOLE if whole else _DECIMAL).fullmatch(text):
        return None
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
