import datetime
from collections.abc import Iterable
from decimal import Decimal

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.template.defaultfilters import floatformat
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
    return mark_safe(  # noqa: S308 - digits and dashes, and floatformat's own safe output
        "".join(
            f"<tr><td>{day.year:04d}-{day.month:02d}-{day.day:02d}</td>"
            f'<td class="num">{floatformat(value, "2")}</td></tr>'
            for day, value in points
        )
    )
