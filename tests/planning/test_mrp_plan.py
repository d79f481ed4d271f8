"""Time-phased MRP in the database: low-level codes kept by the BOM services, runs that keep their planned orders
with pegs, the plan and run API (bad input is a 400 on its field), the run page's grid, and tenant isolation."""

import datetime
import itertools
from decimal import Decimal

import pytest
from django_tenants.utils import tenant_context

from inventory.models import Item
from planning import sources
from planning.models import MrpRun, PlannedOrder
from planning.runs import mrp_run_execute
from planning.services import mrp_run_create
from planning.sources import DemandLine, Kind, Peg, SupplyLine
from planning.tasks import run_mrp
from production.services import bom_delete, bom_update
from tests.conftest import host_of
from tests.inventory.conftest import logged_in

D = Decimal
BASE = "/api/v1/production/mrp"
TODAY = datetime.date.today()


def day(n: int) -> datetime.date:
    return TODAY + datetime.timedelta(days=n)


@pytest.fixture
def feed():
    """Demand and purchased supply the test appends to, registered as sources for its duration."""
    demand: list[DemandLine] = []
    supply: list[SupplyLine] = []
    sources.register(Kind.DEMAND, "test_feed", lambda: list(demand))
    sources.register(Kind.PURCHASED, "test_feed", lambda: list(supply))
    yield demand, supply
    sources.unregister(Kind.DEMAND, "test_feed")
    sources.unregister(Kind.PURCHASED, "test_feed")


@pytest.fixture
def queued(monkeypatch):
    monkeypatch.setattr(run_mrp, "delay", lambda run_id: None)


@pytest.fixture
def api(acme, acme_client):
    return logged_in(acme_client, acme)


@pytest.fixture
def late_supply(item, feed):
    """The issue's case: U (lead 2, no stock), SO-1 needs 10 in 7 days, PO-1 brings 10 in 60 days."""
    u = item("U", lead_time_days=2)
    feed[0].append(DemandLine(u.pk, D(10), day(7), Peg("orders.salesorder", None, "SO-1")))
    feed[1].append(SupplyLine(u.pk, D(10), day(60), Peg("orders.purchaseorder", None, "PO-1")))
    return u


def codes(*items):
    return [Item.objects.get(pk=i.pk).low_level_code for i in items]


# --- Low-level codes ------------------------------------------------------------------------------------------------
def test_low_level_codes_follow_bom_changes(item, make_bom, planner):
    a, b, c = item("A"), item("B"), item("C")
    make_bom(b, (c, 1))
    assert codes(a, b, c) == [0, 0, 1]
    a_bom = make_bom(a, (b, 1), (c, 2))  # C is on two levels: its code is the deeper one
    assert codes(a, b, c) == [0, 1, 2]
    bom_update(bom=a_bom, lines=[{"component": c, "quantity": 2}], user=planner)  # B leaves A
    assert codes(a, b, c) == [0, 0, 1]
    bom_delete(bom=a_bom, user=planner)
    assert codes(a, b, c) == [0, 0, 1]  # B's BOM still puts C below it


def test_deactivating_a_bom_lifts_its_components(item, make_bom, planner):
    a, b = item("A"), item("B")
    bom = make_bom(a, (b, 1))
    assert codes(b) == [1]
    bom_update(bom=bom, is_active=False, user=planner)
    assert codes(b) == [0]


def test_the_plan_takes_the_same_number_of_queries_for_more_items_and_levels(in_acme, item, make_bom, feed):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from planning.engine import mrp_plan

    def queries_for(levels: int, prefix: str) -> tuple[int, list[Decimal]]:
        parts = [item(f"{prefix}{n}", procurement="make") for n in range(levels)]
        for parent, child in itertools.pairwise(parts):
            make_bom(parent, (child, 2))
        feed[0][:] = [DemandLine(parts[0].pk, D(1), day(3), Peg("orders.salesorder", None, "SO-1"))]
        with CaptureQueriesContext(connection) as captured:
            result = mrp_plan()
        return len(captured.captured_queries), [o.quantity for o in result.planned_orders]

    small, orders = queries_for(2, "S")
    assert orders == [1, 2]
    large, orders = queries_for(6, "L")
    assert orders == [1, 2, 4, 8, 16, 32]
    assert small == large <= 11  # every source once, purchase terms, items, BOM lines, stock


def test_a_bought_item_is_planned_with_its_preferred_suppliers_lead_time_and_least_order(in_acme, item, feed, planner):
    from orders.services import supplier_item_create
    from planning.engine import mrp_plan
    from tests.orders.factories import SupplierFactory

    p = item("P", lead_time_days=2)
    supplier_item_create(supplier=SupplierFactory(code="S-1"), item=p, unit_price=1, lead_time_days=9,
                         minimum_quantity=25, is_preferred=True, user=planner)  # fmt: skip
    supplier_item_create(
        supplier=SupplierFactory(code="S-2"), item=p, unit_price=1, lead_time_days=30, user=planner
    )  # fmt: skip (not preferred: not used)
    feed[0].append(DemandLine(p.pk, D(10), day(12), Peg("orders.salesorder", None, "SO-1")))
    # net 10 on day 12, raised to the supplier's least order of 25, released 9 days before (not the item's 2)
    (order,) = mrp_plan().planned_orders
    assert (order.quantity, order.net, order.due, order.release) == (D(25), D(10), day(12), day(3))


def test_acmes_supplier_terms_never_reach_globexs_plan(in_acme, item, planner, globex):
    from django_tenants.utils import tenant_context

    from orders.services import supplier_item_create
    from tests.orders.factories import SupplierFactory

    p = item("P", lead_time_days=2)
    supplier_item_create(supplier=SupplierFactory(code="S-1"), item=p, unit_price=1, lead_time_days=9,
                         minimum_quantity=25, is_preferred=True, user=planner)  # fmt: skip
    assert set(sources.purchase_terms()) == {p.pk}
    with tenant_context(globex):
        assert sources.purchase_terms() == {}


def test_a_made_item_keeps_its_own_lead_time_whatever_supplier_prices_it_has(in_acme, item, feed, planner):
    from orders.services import supplier_item_create
    from planning.engine import mrp_plan
    from tests.orders.factories import SupplierFactory

    m = item("M", lead_time_days=2, procurement="make")
    supplier_item_create(supplier=SupplierFactory(code="S-1"), item=m, unit_price=1, lead_time_days=9,
                         minimum_quantity=25, is_preferred=True, user=planner)  # fmt: skip
    feed[0].append(DemandLine(m.pk, D(10), day(12), Peg("orders.salesorder", None, "SO-1")))
    (order,) = mrp_plan().planned_orders
    assert (order.quantity, order.release) == (D(10), day(10))


# --- Runs keep their planned orders ---------------------------------------------------------------------------------
def test_a_run_keeps_its_planned_orders_pegs_grid_and_messages(in_acme, late_supply):
    run = mrp_run_execute(run_id=mrp_run_create(user=None, horizon_days=90).pk)
    [order] = PlannedOrder.objects.filter(run=run)
    assert (order.item_id, order.kind, order.quantity, order.release_date, order.due_date) == (
        late_supply.pk, "buy", D(10), day(5), day(7),
    )  # fmt: skip
    assert order.pegs == [
        {"quantity": "10", "date": day(7).isoformat(), "demand": "SO-1", "planned_order": None, "top": ["SO-1"]}
    ]
    assert [(e["kind"], e["label"], e["to_date"]) for e in run.exceptions] == [
        ("reschedule_in", "PO-1", day(7).isoformat())
    ]
    [grid] = run.grid
    assert grid["sku"] == "U" and [bucket[0] for bucket in grid["buckets"]] == [
        day(n).isoformat() for n in (0, 5, 7, 60)
    ]
    assert (run.planned_for, run.exception_count, run.line_count) == (TODAY, 1, 1)
    # PO-1 arrives on day 60, after the only demand (covered by the planned order): pegged to nothing
    assert [(r["label"], r["due"], r["in_horizon"], r["pegs"]) for r in run.receipts] == [
        ("PO-1", day(60).isoformat(), True, [])
    ]


def test_a_runs_open_orders_keep_the_demands_they_cover(in_acme, item, feed):
    v = item("V")
    feed[0].append(DemandLine(v.pk, D(4), day(9), Peg("orders.salesorder", None, "SO-7")))
    feed[1].append(SupplyLine(v.pk, D(10), day(3), Peg("orders.purchaseorder", None, "PO-7")))
    run = mrp_run_execute(run_id=mrp_run_create(user=None, horizon_days=30).pk)
    [receipt] = run.receipts
    assert receipt["pegs"] == [
        {"quantity": "4", "date": day(9).isoformat(), "demand": "SO-7", "planned_order": None, "top": ["SO-7"]}
    ]
    # due day 3, first needed day 9: reschedule out
    assert [(e["kind"], e["to_date"]) for e in run.exceptions] == [("reschedule_out", day(9).isoformat())]


def test_the_run_page_shows_the_messages_and_the_grid_by_day_or_week(in_acme, api, late_supply):
    run = mrp_run_execute(run_id=mrp_run_create(user=None, horizon_days=90).pk)
    page = api.get(f"/production/mrp/runs/{run.pk}/").content.decode()
    assert "Reschedule in" in page and "PO-1: U due" in page
    assert "Projected on hand" in page and "Planned order releases" in page
    assert f'<time datetime="{day(60).isoformat()}">' in page
    assert "Planned order 1: buy 10 pcs, order by" in page and "; for SO-1</li>" in page
    weeks = api.get(f"/production/mrp/runs/{run.pk}/", {"view": "week"}).content.decode()
    monday = day(60) - datetime.timedelta(days=day(60).weekday())
    assert "Week of" in weeks and f'<time datetime="{monday.isoformat()}">' in weeks


# --- API ------------------------------------------------------------------------------------------------------------
def test_the_plan_api_returns_buckets_orders_and_messages(api, late_supply):
    body = api.get(f"{BASE}/plan/", {"horizon_days": "90"}).json()
    [grid] = body["items"]
    day7 = next(b for b in grid["buckets"] if b["day"] == day(7).isoformat())
    assert (day7["gross"], day7["net"], day7["planned_receipts"]) == ("10", "10", "10")
    assert [(o["quantity"], o["release"], o["pegs"][0]["top"]) for o in body["planned_orders"]] == [
        ("10", day(5).isoformat(), ["SO-1"])
    ]
    assert [e["kind"] for e in body["exceptions"]] == ["reschedule_in"]


def test_the_plan_api_has_a_weekly_view(api, late_supply):
    body = api.get(f"{BASE}/plan/", {"horizon_days": "90", "view": "week"}).json()
    weeks = [b["day"] for b in body["items"][0]["buckets"]]
    assert all(datetime.date.fromisoformat(w).weekday() == 0 for w in weeks)


@pytest.mark.parametrize("horizon", ["0", "-1", "731", "abc", "1.5", "99999999999999999999"])
@pytest.mark.parametrize("path", ["/plan/", "/"])
def test_a_bad_horizon_is_a_400_on_its_field(api, in_acme, horizon, path):
    response = api.get(f"{BASE}{path}", {"horizon_days": horizon})
    assert response.status_code == 400
    assert "horizon_days" in response.json()


def test_a_bad_view_is_a_400_on_its_field(api, in_acme):
    response = api.get(f"{BASE}/plan/", {"view": "month"})
    assert response.status_code == 400 and "view" in response.json()


def test_starting_a_run_through_the_api(api, in_acme, queued):
    response = api.post(f"{BASE}/runs/", {"horizon_days": 30}, content_type="application/json")
    assert response.status_code == 201
    assert MrpRun.objects.get(pk=response.json()["id"]).horizon_days == 30


@pytest.mark.parametrize("horizon", [0, 731, "x", 2.5, True])
def test_a_run_with_a_bad_horizon_is_a_400_and_nothing_is_queued(api, in_acme, queued, horizon):
    response = api.post(f"{BASE}/runs/", {"horizon_days": horizon}, content_type="application/json")
    assert response.status_code == 400 and "horizon_days" in response.json()
    assert not MrpRun.objects.exists()


def test_a_runs_planned_orders_through_the_api(api, in_acme, late_supply):
    run = mrp_run_execute(run_id=mrp_run_create(user=None, horizon_days=90).pk)
    assert api.get(f"{BASE}/runs/{run.pk}/").json()["exception_count"] == 1
    [order] = api.get(f"{BASE}/runs/{run.pk}/planned-orders/").json()
    assert (order["sku"], order["kind"], order["quantity"], order["due_date"]) == (
        "U",
        "buy",
        "10.0000",
        day(7).isoformat(),
    )


# --- Isolation ------------------------------------------------------------------------------------------------------
@pytest.fixture
def acme_run(acme, late_supply):
    with tenant_context(acme):
        return mrp_run_execute(run_id=mrp_run_create(user=None, horizon_days=90).pk)


def test_globex_cannot_reach_acmes_run_or_planned_orders(acme_run, globex, globex_client):
    client = logged_in(globex_client, globex)
    for url in (f"{BASE}/runs/{acme_run.pk}/", f"{BASE}/runs/{acme_run.pk}/planned-orders/"):
        response = client.get(url)
        assert response.status_code == 404, url
        assert b"SO-1" not in response.content
    assert client.get(f"{BASE}/plan/").json()["items"] == []
    page = client.get(f"/production/mrp/runs/{acme_run.pk}/")
    assert page.status_code == 404 and b"SO-1" not in page.content


def test_globex_session_on_acmes_host_is_refused(acme_run, acme, globex, globex_client):
    client = logged_in(globex_client, globex)
    for url in (f"{BASE}/runs/{acme_run.pk}/planned-orders/", f"{BASE}/plan/", f"{BASE}/runs/{acme_run.pk}/"):
        response = client.get(url, HTTP_HOST=host_of(acme))
        assert response.status_code in {401, 403}, url
        assert b"SO-1" not in response.content
    response = client.post(f"{BASE}/runs/", {}, content_type="application/json", HTTP_HOST=host_of(acme))
    assert response.status_code in {401, 403}
    with tenant_context(acme):
        assert list(MrpRun.objects.values_list("pk", flat=True)) == [acme_run.pk]


# --- The item's planning fields, bounded at the door ----------------------------------------------------------------
def test_an_items_planning_fields_are_set_through_the_api(api, item):
    u = item("U")
    response = api.patch(
        f"/api/v1/items/{u.pk}/",
        {"procurement": "make", "lot_sizing": "min_multiple", "lot_minimum": "12", "lot_multiple": "5",
         "safety_stock": "3", "lot_period_days": 7},
        content_type="application/json",
    )  # fmt: skip
    assert response.status_code == 200, response.content
    u.refresh_from_db()
    assert (u.procurement, u.lot_sizing, u.lot_minimum, u.lot_multiple, u.safety_stock, u.lot_period_days) == (
        "make", "min_multiple", D(12), D(5), D(3), 7,
    )  # fmt: skip


@pytest.mark.parametrize(
    "field, value",
    [("procurement", "steal"), ("lot_sizing", "whatever"), ("safety_stock", "-1"), ("lot_multiple", "-5"),
     ("lot_period_days", 100000), ("lead_time_days", 1_000_000), ("low_level_code", 3)],
)  # fmt: skip
def test_a_bad_planning_field_is_a_400_on_it(api, item, field, value):
    u = item("U")
    response = api.patch(f"/api/v1/items/{u.pk}/", {field: value}, content_type="application/json")
    if field == "low_level_code":  # read only: ignored, never set from outside
        assert response.status_code == 200 and Item.objects.get(pk=u.pk).low_level_code == 0
        return
    assert response.status_code == 400 and field in response.json()


def test_the_item_page_shows_its_planning_fields(api, item):
    u = item("U", procurement="make", lot_sizing="fixed", lot_quantity=D(25), safety_stock=D(5))
    page = api.get(f"/inventory/items/{u.pk}/").content.decode()
    assert "Make, fixed quantity of 25, safety stock 5, BOM level 0" in page


def test_the_data_migration_makes_items_with_an_active_bom_and_computes_every_code(item, make_bom):
    import importlib

    from django.db import connection

    migration = importlib.import_module("production.migrations.0006_item_procurement_and_low_level_codes")
    a, b, c, loose = item("A"), item("B"), item("C"), item("LOOSE")
    make_bom(a, (b, 1), (c, 1))
    make_bom(b, (c, 2))
    Item.objects.update(procurement="buy", low_level_code=0)  # as the fields were added
    with connection.cursor() as cursor:
        cursor.execute(migration.PROCUREMENT)
        cursor.execute(migration.LOW_LEVEL_CODES)
    found = {i.sku: (i.procurement, i.low_level_code) for i in Item.objects.filter(pk__in=[a.pk, b.pk, c.pk, loose.pk])}
    assert found == {"A": ("make", 0), "B": ("make", 1), "C": ("buy", 2), "LOOSE": ("buy", 0)}
