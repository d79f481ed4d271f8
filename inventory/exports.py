"""The item list as CSV, in the columns the item import reads (sku, name, ..., cf_<key>): an export edited in a
spreadsheet imports back unchanged."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator
from decimal import Decimal

from customfields.models import CustomField
from customfields.services import FILTER_PREFIX
from inventory.models import Item
from inventory.services.imports import IMPORT_COLUMNS

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _text(value: str) -> str:
    """A text cell a spreadsheet will not run as a formula (the import takes the apostrophe off again)."""
    return "'" + value if value[:1] in _FORMULA_START else value


def _number(value: Decimal) -> str:
    return "0" if value == 0 else f"{value.normalize():f}"


def _custom(definition: CustomField, value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if definition.field_type == CustomField.Type.TEXT:
        return _text(str(value))
    return str(value)  # numbers ("-1.5" is a number to a spreadsheet too), ISO dates, choices


def items_csv(items: Iterable[Item], fields: list[CustomField]) -> Iterator[str]:
    """The header, then one line per item (`items` should select the unit)."""
    out = io.StringIO()
    writer = csv.writer(out)

    def line(row: list[str]) -> str:
        writer.writerow(row)
        text = out.getvalue()
        out.seek(0)
        out.truncate()
        return text

    yield line([*IMPORT_COLUMNS, *(FILTER_PREFIX + d.key for d in fields)])
    for item in items:
        values = item.attributes if isinstance(item.attributes, dict) else {}
        yield line(
            [
                _text(item.sku),
                _text(item.name),
                item.uom.code,
                item.kind,
                _text(item.description),
                _number(item.reorder_point),
                _number(item.reorder_quantity),
                str(item.lead_time_days),
                _number(item.standard_cost),
                "yes" if item.is_active else "no",
                *(_custom(d, values.get(d.key)) for d in fields),
            ]
        )
