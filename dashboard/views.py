import datetime
from collections.abc import Iterable
from decimal import ROUND_HALF_UP, Context, Decimal

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.template.defaultfilters import floatformat
from django.utils.formats import get_format
from django.utils.safestring import SafeString, mark_safe

from dashboard.selectors import plant_dashboard


def tenant_home(request: HttpRequest) -> HttpResponse:
    """Anonymous visitors get the sign-in link; signed-in staff the plant dashboard."""
    if not request.user.is_authenticated:
        return render(request, "dashboard/tenant_home.html", {})
    board = plant_dashboard()
    return render(
        request, "dashboard/tenant_home.html", {"board": board, "value_rows": value_rows(board.stock_value.points)}
    )


def value_rows(points: Iterable[tuple[datetime.date, Decimal]]) -> SafeString:
    """The stock value chart's table rows, `<tr><td>{{ day|date:"Y-m-d" }}</td><td class="num">{{ value|floatformat:2
    }}</td></tr>` per day, written in Python: through the template engine the 30 rows were 40 % of the page's
    rendering. tests/dashboard/test_dashboard.py renders that loop and compares."""
    two_places = _two_places if _plain_decimals() else _floatformat_2
    return mark_safe(  # noqa: S308 - digits, dashes and a dot, and floatformat's own safe output
        "".join(
            f'<tr><td>{day.year:04d}-{day.month:02d}-{day.day:02d}</td><td class="num">{two_places(value)}</td></tr>'
            for day, value in points
        )
    )


_CENT = Decimal("0.01")
# Enough digits for any value floatformat rounds itself (it gives back longer ones as they are): no rounding but ours.
_WIDE = Context(prec=210)


def _floatformat_2(value: object) -> str:
    return floatformat(value, "2")


def _plain_decimals() -> bool:
    """Whether `floatformat:2` writes a number as its digits, a dot and two decimals, without thousands separators:
    the active language's formats (English here; no middleware switches languages)."""
    return get_format("DECIMAL_SEPARATOR") == "." and not settings.USE_THOUSAND_SEPARATOR


def _two_places(value: object) -> str:
    """`floatformat(value, "2")` of a Decimal under `_plain_decimals()`, without its trip through strings, digit
    lists and the format lookups (a third of the dashboard's rendering for its 30 values): rounded half up to two
    places, written in full, and a zero after rounding has no minus sign."""
    if type(value) is not Decimal or not value.is_finite():
        return floatformat(value, "2")
    _, digits, exponent = value.as_tuple()
    if len(digits) + abs(exponent) > 200:  # floatformat gives these back unrounded
        return floatformat(value, "2")
    rounded = value.quantize(_CENT, ROUND_HALF_UP, _WIDE)
    return f"{rounded if rounded else rounded.copy_abs():f}"
