"""The signed-in tenant home is the plant dashboard: a fixed number of queries, figures from the apps' selectors."""

import datetime
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.template import Context, Template
from django.urls import reverse
from django.utils import timezone, translation

from dashboard.selectors import StateCount, line_chart
from dashboard.views import chart_figures, value_rows, work_order_rows
from inventory.models import Location
from inventory.selectors import stock_value_history
from inventory.services import stock_issue, stock_receive, stock_transfer
from orders.selectors import late_shipments
from orders.services import sales_order_confirm, sales_order_create
from tenants.routing import routing_cache
from tests.inventory.factories import ItemFactory, LocationFactory
from tests.orders.factories import CustomerFactory
from tests.production.factories import WorkOrderFactory

# A warm request (tenant routing cached, search path already acme's): session, user, then the panels: orders
# dashboard (2: line totals, orders per status), late shipments (1), items below their reorder point (3 when some
# are: candidates, on order, the shown items), work orders by state (1), stock value (2).
DASHBOARD_QUERIES = 11


def _plant(boss, n: int) -> None:
    receiving = Location.objects.get(is_default_receiving=True)
    customer = CustomerFactory()
    for number in range(n):
        item = ItemFactory(reorder_point=Decimal(50), reorder_quantity=Decimal(10))
        stock_receive(item=item, location=receiving, quantity=5, user=boss)
        WorkOrderFactory(item=item, state=["draft", "released", "done"][number % 3])
        order = sales_order_create(
            customer=customer,
            lines=[{"item": item, "quantity": 3, "unit_price": "9.50", "promised_date": timezone.localdate()
                    - datetime.timedelta(days=number + 1)}],
            user=boss,
        )  # fmt: skip
        sales_order_confirm(order=order, user=boss)


@pytest.fixture
def boss_client(acme, acme_client):
    acme_client.post("/accounts/login/", {"username": "boss", "password": "correct-horse-battery"})
    return acme_client


@pytest.mark.parametrize("rows", [1, 8])
def test_dashboard_costs_the_same_queries_whatever_the_data(rows, in_acme, boss_client, django_assert_num_queries):
    _plant(get_user_model().objects.get(username="boss"), rows)
    assert routing_cache.wait_until_live()
    boss_client.get("/")
    with django_assert_num_queries(DASHBOARD_QUERIES):
        response = boss_client.get("/")
    assert response.status_code == 200
    board = response.context["board"]
    assert board.late_shipment_count == rows
    assert board.below_reorder_count == rows
    assert len(board.late_shipments) == min(rows, 5)
    assert sum(state.count for state in board.work_orders) == rows


def test_dashboard_shows_each_panel(in_acme, boss_client):
    _plant(get_user_model().objects.get(username="boss"), 2)
    body = boss_client.get("/").content.decode()
    assert body.count("<h1>") == 1
    assert 'id="kpi-late-shipments" data-value="2"' in body
    assert 'id="kpi-below-reorder" data-value="2"' in body
    assert 'id="wo-state-draft" data-value="1"' in body
    assert "<svg" in body and "<polyline" in body
    assert "Signed in as boss" in body


def test_the_late_panel_lists_what_late_shipments_gives_most_late_first(in_acme, boss_client):
    _plant(get_user_model().objects.get(username="boss"), 7)
    body = boss_client.get("/").content.decode()
    expected = "".join(
        f'\n    <tr><td><a href="/orders/sales/{row.line.order_id}/">{row.line.order.number}</a> '
        f"{row.line.order.customer.code}</td>\n      <td>{row.line.item.sku}</td>"
        f'<td class="num">{row.open_quantity.normalize()}</td><td class="num">{row.days_late}</td></tr>\n    '
        for row in late_shipments(limit=5)
    )
    assert [row.days_late for row in late_shipments(limit=5)] == [7, 6, 5, 4, 3]
    assert expected in body


def test_anonymous_home_has_no_dashboard(acme_client):
    body = acme_client.get("/").content.decode()
    assert "kpi" not in body and "<svg" not in body


def test_stock_value_walks_back_through_flows_in_and_out_not_transfers(in_acme):
    boss = get_user_model().objects.get(username="boss")
    receiving, shelf = Location.objects.get(is_default_receiving=True), LocationFactory()
    item = ItemFactory(standard_cost=Decimal("2.50"))
    # The tenant's value is shared by every test's items; what this test adds is measured against it.
    before = stock_value_history(days=30)
    stock_receive(item=item, location=receiving, quantity=10, user=boss)
    stock_transfer(item=item, from_location=receiving, to_location=shelf, quantity=4, user=boss)
    stock_issue(item=item, location=shelf, quantity=2, user=boss)
    series = stock_value_history(days=30)
    assert len(series) == 30
    assert series[-1][0] == timezone.localdate()
    assert series[-1][1] - before[-1][1] == Decimal(20)  # 8 left x 2.50
    assert series[-2][1] == before[-2][1]  # today's receipt is not in yesterday's value
    assert series[0][0] == timezone.localdate() - datetime.timedelta(days=29)


def test_line_chart_scales_into_the_box():
    today = datetime.date(2026, 1, 31)
    points = [(today - datetime.timedelta(days=2 - i), Decimal(v)) for i, v in enumerate([0, 50, 100])]
    chart = line_chart(points)
    assert chart.line == "8.0,172.0 320.0,90.0 632.0,8.0"
    assert (chart.low, chart.high) == (Decimal(0), Decimal(100))
    flat = line_chart([(today, Decimal(5)), (today, Decimal(5))])
    assert flat.line == "8.0,90.0 632.0,90.0"


def test_dashboard_stock_value_is_the_valuation_at_moving_average_cost(in_acme, boss_client):
    boss = get_user_model().objects.get(username="boss")
    receiving = Location.objects.get(is_default_receiving=True)
    item = ItemFactory(standard_cost=Decimal("1.25"))
    before = stock_value_history(days=1)[-1][1]  # other tests' items, shared by the tenant
    stock_receive(item=item, location=receiving, quantity=10, unit_cost="2.00", user=boss)
    stock_receive(item=item, location=receiving, quantity=10, unit_cost="3.00", user=boss)
    # 10 x 2.00 + 10 x 3.00 = 50.00 (at the standard cost it would be 20 x 1.25 = 25.00)
    body = boss_client.get("/").content.decode()
    assert f'id="stock-value-now" data-value="{before + Decimal(50):.2f}"' in body


def test_the_value_rows_are_the_html_the_template_loop_gave():
    loop = Template(
        '{% for day, value in points %}<tr><td>{{ day|date:"Y-m-d" }}</td>'
        '<td class="num">{{ value|floatformat:2 }}</td></tr>{% endfor %}'
    )
    points = [
        (datetime.date(2026, 1, 2), Decimal("1234567.895")),
        (datetime.date(999, 12, 31), Decimal("-0.004")),
        (datetime.date(2026, 11, 30), Decimal("0")),
        (datetime.date(2026, 12, 1), Decimal("-12.5")),
        (datetime.date(2026, 12, 2), Decimal("7E+3")),
        (datetime.date(2026, 12, 3), Decimal("0.005")),
        (datetime.date(2026, 12, 4), Decimal("-0.005")),
        (datetime.date(2026, 12, 5), Decimal("2.675")),
        (datetime.date(2026, 12, 6), Decimal("123456789012345678901234567890.125")),
        (datetime.date(2026, 12, 7), Decimal("1E-30")),
        (datetime.date(2026, 12, 8), Decimal("-0.00")),
    ]
    assert value_rows(points) == loop.render(Context({"points": points}))
    # Where a language writes decimals with a comma, the rows are floatformat's own
    with translation.override("de"):
        assert value_rows(points) == loop.render(Context({"points": points}))
        assert "1234567,90" in value_rows(points)


def test_the_work_order_rows_are_the_html_the_template_loop_gave():
    loop = Template(
        """    {% for row in states %}
    <tr id="wo-state-{{ row.state }}" data-value="{{ row.count }}">
      <th scope="row"><a href="{% url 'production:work-order-list' %}?state={{ row.state }}">{{ row.label }}</a></th>
      <td class="num">{{ row.count }}</td>
      <td class="bar-cell" aria-hidden="true"><span class="bar state-{{ row.state }}" style="width: {{ row.percent }}%"></span></td>
    </tr>
    {% endfor %}
    """  # noqa: E501 - the template's lines as they were
    )
    states = [
        StateCount("draft", "Draft", 12345, 100),
        StateCount("in_progress", translation.gettext_lazy("In progress"), 0, 0),
        StateCount("odd<&\"'>", "Tom & Jerry's <b>", 7, 57),
    ]
    expected = loop.render(Context({"states": states}))
    assert "Tom &amp; Jerry&#x27;s &lt;b&gt;" in expected
    assert "    " + work_order_rows(states, reverse("production:work-order-list")) + "\n    " == expected


def test_the_chart_figures_are_what_the_template_filters_gave():
    chart = line_chart(
        [
            (datetime.date(2026, 1, 2), Decimal("1234567.895")),
            (datetime.date(2026, 1, 3), Decimal("-0.004")),
            (datetime.date(2026, 2, 9), Decimal("12.5")),
        ]
    )
    filters = Template(
        "{{ chart.first.1|floatformat:2 }}|{{ chart.last.1|floatformat:2 }}|{{ chart.low|floatformat:2 }}|"
        '{{ chart.high|floatformat:2 }}|{{ chart.first.0|date:"M j" }}|{{ chart.last.0|date:"M j" }}|'
        '{{ chart.first.0|date:"Y-m-d" }}|{{ chart.last.0|date:"Y-m-d" }}'
    )
    ours = Template(
        "{{ f.first_value }}|{{ f.last_value }}|{{ f.low }}|{{ f.high }}|{{ f.first_day }}|{{ f.last_day }}|"
        "{{ f.first_iso }}|{{ f.last_iso }}"
    )
    expected = filters.render(Context({"chart": chart}))
    assert expected == "1234567.90|12.50|0.00|1234567.90|Jan 2|Feb 9|2026-01-02|2026-02-09"
    assert ours.render(Context({"f": chart_figures(chart)})) == expected
