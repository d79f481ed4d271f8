"""The dated supply/demand interface: one registry, lines pegged to their documents, each document counted once."""

import ast
import datetime
from decimal import Decimal
from pathlib import Path

import pytest

from inventory.selectors import reorder_report
from inventory.supply import on_order_quantities
from planning import sources
from planning.engine import mrp_report
from planning.sources import DemandLine, Kind, Peg, SupplyLine
from production.services import work_order_create

D = Decimal
DAY = datetime.date(2027, 1, 31)
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def registered():
    """registered(kind, *lines): a test source of `kind` giving these lines, removed afterwards."""
    names = []

    def register(kind, *lines):
        name = f"test-{len(names)}"
        sources.register(kind, name, lambda: list(lines))
        names.append((kind, name))

    yield register
    for kind, name in names:
        sources.unregister(kind, name)


def test_work_order_lines_are_pegged_to_their_work_order(item, make_bom, planner):
    pump, gasket = item("PUMP"), item("GASKET")
    make_bom(pump, (gasket, 2))
    work_order = work_order_create(item=pump, quantity=3, due_date=DAY, user=planner)
    peg = Peg("production.workorder", work_order.pk, work_order.number)
    assert [line for line in sources.demand() if line.peg == peg] == [DemandLine(gasket.pk, D(6), DAY, peg)]
    assert [line for line in sources.supply() if line.peg == peg] == [SupplyLine(pump.pk, D(3), DAY, peg)]


def test_purchased_supply_is_open_supply_in_mrp_and_on_order_in_the_reorder_report_once(item, registered):
    bolt = item("BOLT", reorder_point=D(10), reorder_quantity=D(1))
    peg = Peg("orders.purchaseorder", 7, "PO-00007")
    registered(Kind.DEMAND, DemandLine(bolt.pk, D(10), DAY, Peg("orders.salesorder", 3, "SO-00003")))
    registered(Kind.PURCHASED, SupplyLine(bolt.pk, D(4), DAY, peg))
    [line] = [line for line in mrp_report(today=DAY) if line.sku == "BOLT"]
    assert (line.open_supply, line.shortage) == (D(4), D(6))
    assert on_order_quantities([bolt.pk]) == {bolt.pk: D(4)}
    [reorder] = [line for line in reorder_report() if line.item.pk == bolt.pk]
    assert (reorder.on_order, reorder.suggested_quantity) == (D(4), D(6))


def test_made_supply_counts_in_mrp_but_is_not_on_order(item, registered):
    bolt = item("BOLT")
    registered(Kind.DEMAND, DemandLine(bolt.pk, D(10), DAY, Peg("orders.salesorder", 3, "SO-00003")))
    registered(Kind.MADE, SupplyLine(bolt.pk, D(4), DAY, Peg("production.workorder", 1, "WO-000001")))
    [line] = [line for line in mrp_report(today=DAY) if line.sku == "BOLT"]
    assert line.open_supply == D(4)
    assert on_order_quantities([bolt.pk]) == {}


@pytest.mark.parametrize("app", ["inventory", "production"])
def test_the_apps_below_planning_do_not_import_it(app):
    importers = []
    for path in (ROOT / app).rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            names = [node.module or ""] if isinstance(node, ast.ImportFrom) else []
            names += [alias.name for alias in node.names] if isinstance(node, ast.Import) else []
            if any(name == "planning" or name.startswith("planning.") for name in names):
                importers.append(str(path.relative_to(ROOT)))
    assert importers == []
