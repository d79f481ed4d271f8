"""Moved to core.numbers (issue 19); this re-export goes once every branch imports from core."""

from core.numbers import is_plain_id, plain_decimal_error, plain_number_error  # noqa: F401
