"""MRP: demand from pluggable sources, exploded level by level, netted against stock and open supply."""

import datetime
from decimal import Decimal

import pytest

from inventory.services import stock_receive
from planning import sources
from planning.engine import mrp_report
from planning.sources import DemandLine, Kind, Peg
from production.services import work_order_create

D = Decimal
JAN = lambda day: datetime.date(2027, 1, day)  # noqa: E731
SO_1 = Peg("orders.salesorder", 1, "SO-1")


@pytest.fixture
def sales_demand():
    lines = []
    sources.register(Kind.DEMAND, "test_sales", lambda: list(lines))
    yield lines
    sources.unregister(Kind.DEMAND, "test_sales")


def test_mrp_nets_demand_level_by_level_and_suggests_make_or_buy(
    item, make_bom, receiving, planner, sales_demand, django_assert_max_num_queries
):
    pump, sub = item("PUMP", lead_time_days=5, procurement="make"), item("SUB", lead_time_days=3, procurement="make")
    c1, c3 = item("C1", lead_time_days=10), item("C3", lead_time_days=7)
    make_bom(pump, (c1, 2), (sub, 1))
    make_bom(sub, (c3, 3))
    for part, quantity in [(pump, 2), (c1, 10), (c3, 4)]:
        stock_receive(item=part, location=receiving, quantity=quantity, user=planner)
    sales_demand.append(DemandLine(pump.pk, D(10), JAN(31), SO_1))
    # A draft work order for 3 pumps due Jan 20: supply of 3 PUMP, demand of 6 C1 and 3 SUB at its start (Jan 15).
    work_order = work_order_create(item=pump, quantity=3, due_date=JAN(20), user=planner)

    # 10 plus one query per firm planned order source (supply, and the firm make orders as demand)
    with django_assert_max_num_queries(12):
        report = {line.sku: line for line in mrp_report(today=JAN(8))}

    # PUMP: 10 needed, 2 available, 3 coming -> make 5 by Jan 31, start Jan 26 (lead 5)
    # SUB:  3 (WO, Jan 15) + 5 (planned PUMP, Jan 26) = 8, none -> make 8, need Jan 15, start Jan 12
    # C1:   6 (WO, Jan 15) + 5 x 2 = 10 (Jan 26) = 16, 10 available -> buy 6, need Jan 26, order Jan 16
    # C3:   8 x 3 = 24 (Jan 12), 4 available -> buy 20, order Jan 5: late on Jan 8
    summary = {
        sku: (line.gross_requirement, line.available, line.open_supply, line.shortage, line.action)
        for sku, line in report.items()
    }
    assert summary == {
        "PUMP": (D(10), D(2), D(3), D(5), "make"),
        "SUB": (D(8), D(0), D(0), D(8), "make"),
        "C1": (D(16), D(10), D(0), D(6), "buy"),
        "C3": (D(24), D(4), D(0), D(20), "buy"),
    }
    dates = {sku: (line.need_date, line.suggested_date, line.late) for sku, line in report.items()}
    assert dates == {
        "PUMP": (JAN(31), JAN(26), False),
        "SUB": (JAN(15), JAN(12), False),
        "C1": (JAN(26), JAN(16), False),
        "C3": (JAN(12), JAN(5), True),
    }
    assert work_order.number in report["C1"].sources


def test_mrp_lists_nothing_when_stock_covers_demand(item, receiving, planner, sales_demand):
    bolt = item("BOLT")
    stock_receive(item=bolt, location=receiving, quantity=10, user=planner)
    sales_demand.append(DemandLine(bolt.pk, D(10), JAN(31), SO_1))
    assert [line for line in mrp_report(today=JAN(1)) if line.sku == "BOLT"] == []
