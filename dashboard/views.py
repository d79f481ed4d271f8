import datetime
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Context, Decimal

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.template.defaultfilters import date as date_filter
from django.template.defaultfilters import floatformat
from django.urls import reverse
from django.utils.formats import get_format
from django.utils.safestring import SafeString, mark_safe

from core.html import shown
from dashboard.selectors import Chart, StateCount, plant_dashboard


def tenant_home(request: HttpRequest) -> HttpResponse:
    """Anonymous visitors get the sign-in link; signed-in staff the plant dashboard."""
    if not request.user.is_authenticated:
        return render(request, "dashboard/tenant_home.html", {})
    board = plant_dashboard()
    context = {
        "board": board,
        "value_rows": value_rows(board.stock_value.points),
        "figures": chart_figures(board.stock_value),
        "work_order_rows": work_order_rows(board.work_orders, reverse("production:work-order-list")),
    }
    return render(request, "dashboard/tenant_home.html", context)


@dataclass(frozen=True)
class ChartFigures:
    """The stock value chart's figures as its text shows them: `{{ value|floatformat:2 }}` and `{{ day|date:"M j"
    }}` (`_iso`: `date:"Y-m-d"`), each worked out once instead of once per mention (nine floatformats, six dates)."""

    first_value: str
    last_value: str
    low: str
    high: str
    first_day: str
    last_day: str
    first_iso: str
    last_iso: str


def chart_figures(chart: Chart) -> ChartFigures:
    two_places = _two_places if _plain_decimals() else _floatformat_2
    (first_day, first_value), (last_day, last_value) = chart.first, chart.last
    return ChartFigures(
        first_value=two_places(first_value),
        last_value=two_places(last_value),
        low=two_places(chart.low),
        high=two_places(chart.high),
        first_day=date_filter(first_day, "M j"),
        last_day=date_filter(last_day, "M j"),
        first_iso=first_day.isoformat(),
        last_iso=last_day.isoformat(),
    )


def work_order_rows(states: Iterable[StateCount], list_url: str) -> SafeString:
    """The work-orders-by-state rows, with the whitespace the template's loop put around them, written in Python
    (`list_url`: the work order list's path). tests/dashboard/test_dashboard.py renders that loop and compares."""
    url = shown(list_url)
    return mark_safe(  # noqa: S308 - every value escaped by shown
        "".join(
            f'\n    <tr id="wo-state-{shown(row.state)}" data-value="{shown(row.count)}">\n'
            f'      <th scope="row"><a href="{url}?state={shown(row.state)}">{shown(row.label)}</a></th>\n'
            f'      <td class="num">{shown(row.count)}</td>\n'
            f'      <td class="bar-cell" aria-hidden="true"><span class="bar state-{shown(row.state)}" '
            f'style="width: {shown(row.percent)}%"></span></td>\n'
            "    </tr>\n    "
            for row in states
        )
    )


def value_rows(points: Iterable[tuple[datetime.date, Decimal]]) -> SafeString:
    """The stock value chart's table rows, `<tr><td>{{ day|date:"Y-m-d" }}</td><td class="num">{{ value|floatformat:2
    }}</td></tr>` per day, written in Python: through the template engine the 30 rows were 40 % of the page's
    rendering. tests/dashboard/test_dashboard.py renders that loop and compares."""
    two_places = _two_places if _plain_decimals() else _floatformat_2
    return mark_safe(  # noqa: S308 - digits, dashes and a dot, and floatformat's own safe output
        "".join(f'<tr><td>{day.isoformat()}</td><td class="num">{two_places(value)}</td></tr>' for day, value in points)
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
