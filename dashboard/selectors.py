"""The signed-in tenant home: the plant at a glance, each panel read through the owning app's selectors.

A fixed number of queries whatever the data (pinned in tests/dashboard/test_dashboard.py); lists are cut to a few rows
with a link to the full report.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, QuerySet

from core import prepared
from inventory.selectors import ReorderLine, reorder_summary, stock_value_history
from orders.models import PurchaseOrder, SalesOrder
from orders.selectors import Dashboard as OrdersDashboard
from orders.selectors import LateLine, late_lines, open_order_count
from orders.selectors import dashboard as orders_dashboard
from production.models import WorkOrder

PANEL_ROWS = 5
CHART_WIDTH, CHART_HEIGHT, CHART_PAD = 640, 180, 8


@dataclass(frozen=True)
class StateCount:
    state: str
    label: str
    count: int
    percent: int  # bar length, relative to the largest state


@dataclass(frozen=True)
class Chart:
    """A line chart of (day, value) already scaled to SVG coordinates, drawn by the template without JS."""

    points: list[tuple[datetime.date, Decimal]]
    line: str  # "x,y x,y ..." for <polyline>
    area: str  # the same line closed along the bottom, for <polygon>
    low: Decimal
    high: Decimal
    width: int = CHART_WIDTH
    height: int = CHART_HEIGHT

    @property
    def first(self) -> tuple[datetime.date, Decimal]:
        return self.points[0]

    @property
    def last(self) -> tuple[datetime.date, Decimal]:
        return self.points[-1]


@dataclass(frozen=True)
class PlantDashboard:
    orders: OrdersDashboard
    open_sales_orders: int  # orders.selectors.open_statuses, the same as the sales order list's ?status=open
    open_purchase_orders: int
    late_shipments: list[LateLine]  # the most late first, at most PANEL_ROWS
    late_shipment_count: int
    work_orders: list[StateCount]
    open_work_orders: int
    below_reorder: list[ReorderLine]  # at most PANEL_ROWS
    below_reorder_count: int
    stock_value: Chart


def line_chart(points: list[tuple[datetime.date, Decimal]]) -> Chart:
    """Scale a series to the chart box; a flat series is drawn at mid height."""
    values = [value for _, value in points]
    low, high = min(values), max(values)
    span = (high - low) or Decimal(1)
    step = (CHART_WIDTH - 2 * CHART_PAD) / max(len(points) - 1, 1)
    inner = CHART_HEIGHT - 2 * CHART_PAD
    coords = []
    for index, value in enumerate(values):
        y = CHART_PAD + inner / 2 if high == low else CHART_PAD + inner * float((high - value) / span)
        coords.append(f"{CHART_PAD + index * step:.1f},{y:.1f}")
    bottom = CHART_HEIGHT - CHART_PAD
    area = f"{CHART_PAD:.1f},{bottom} {' '.join(coords)} {CHART_PAD + (len(points) - 1) * step:.1f},{bottom}"
    return Chart(points=points, line=" ".join(coords), area=area, low=low, high=high)


def plant_dashboard(*, today: datetime.date | None = None) -> PlantDashboard:
    """Open orders, late shipments, work orders by state, items below their reorder point, and 30 days of stock
    value."""
    board = orders_dashboard(today=today)
    late = late_lines(today=today, limit=PANEL_ROWS)  # how many: the orders board's count
    below_reorder, below_reorder_count = reorder_summary(limit=PANEL_ROWS)
    counts = dict(prepared.rows("dashboard.work_order_states", _work_order_states))
    largest = max(counts.values(), default=0) or 1
    states = [
        StateCount(value, label, counts.get(value, 0), round(100 * counts.get(value, 0) / largest))
        for value, label in WorkOrder.State.choices
    ]
    return PlantDashboard(
        orders=board,
        open_sales_orders=open_order_count(board.sales_counts, SalesOrder),
        open_purchase_orders=open_order_count(board.purchase_counts, PurchaseOrder),
        late_shipments=late,
        late_shipment_count=board.late_sales_lines,
        work_orders=states,
        open_work_orders=sum(counts.get(state, 0) for state in WorkOrder.OPEN_STATES),
        below_reorder=below_reorder,
        below_reorder_count=below_reorder_count,
        stock_value=line_chart(stock_value_history(days=30, today=today)),
    )


def _work_order_states() -> QuerySet:
    return WorkOrder.objects.values_list("state").annotate(n=Count("pk")).order_by()
