"""Planned orders a planner acts on: firm ones survive a re-run (as supply on their due date), their date and
quantity change through the API, and planned orders convert into draft purchase orders (one per preferred supplier,
at its prices) and work orders. A run records what it read and compares itself with the run before it.

Every expected number is worked out by hand in the test. Items are bought (lot for lot, no stock) unless said."""

import datetime
from decimal import Decimal

import pytest
from django_tenants.utils import tenant_context

from audit.models import AuditEntry
from orders.models import PurchaseOrder
from orders.services import supplier_item_create
from planning import sources
from planning.models import MrpRun, PlannedOrder
from planning.runs import mrp_run_execute
from planning.services import PlannedOrderError, mrp_run_create, planned_order_firm, planned_orders_convert
from planning.sources import DemandLine, Kind, Peg
from production.models import WorkOrder
from tests.inventory.conftest import logged_in
from tests.orders.factories import SupplierFactory
from tests.web_roles import signed_in_as

D = Decimal
BASE = "/api/v1/production/mrp"
TODAY = datetime.date.today()
JSON = "application/json"


def day(n: int) -> datetime.date:
    return TODAY + datetime.timedelta(days=n)


@pytest.fixture
def demand():
    """Demand lines the test appends to, registered as a source for its duration."""
    lines: list[DemandLine] = []
    sources.register(Kind.DEMAND, "test_demand", lambda: list(lines))
    yield lines
    sources.unregister(Kind.DEMAND, "test_demand")


def need(lines, item, quantity, on, label="SO-1"):
    lines.append(DemandLine(item.pk, D(quantity), on, Peg("orders.salesorder", None, label)))


def run_now(horizon_days=None) -> MrpRun:
    return mrp_run_execute(run_id=mrp_run_create(user=None, horizon_days=horizon_days).pk)


def orders_of(run: MrpRun) -> list[tuple]:
    return [
        (order.item.sku, order.kind, order.quantity, order.due_date, order.release_date)
        for order in PlannedOrder.objects.filter(run=run).select_related("item").order_by("number")
    ]


@pytest.fixture
def api(acme, acme_client):
    return logged_in(acme_client, acme)


@pytest.fixture
def bolt(item):
    return item("BOLT", lead_time_days=5)


# --- Firm orders survive a re-run -----------------------------------------------------------------------------------
def test_a_firm_order_survives_a_rerun_and_reduces_the_new_net_requirement(in_acme, bolt, demand, planner):
    need(demand, bolt, 10, day(20))
    first = run_now()
    # 10 needed on day 20, nothing on hand or coming: buy 10, due day 20, ordered 5 days before (lead time 5).
    assert orders_of(first) == [("BOLT", "buy", D(10), day(20), day(15))]
    firm = planned_order_firm(planned_order=PlannedOrder.objects.get(run=first), user=planner)

    need(demand, bolt, 4, day(20), "SO-2")  # demand grows to 14 on day 20
    second = run_now()

    # The firm 10 arrive on day 20 as a scheduled receipt: 14 - 10 = 4 is all the new run plans.
    assert orders_of(second) == [("BOLT", "buy", D(4), day(20), day(15))]
    firm.refresh_from_db()
    assert (firm.status, firm.run_id, firm.quantity) == ("firm", first.pk, D(10))
    [receipt] = second.receipts
    assert (receipt["label"], receipt["quantity"], receipt["due"]) == (firm.label, "10", day(20).isoformat())
    assert second.inputs["firm_planned_orders"] == [firm.pk]


def test_a_third_run_still_keeps_the_firm_order(in_acme, bolt, demand, planner):
    need(demand, bolt, 10, day(20))
    planned_order_firm(planned_order=PlannedOrder.objects.get(run=run_now()), user=planner)
    run_now()
    third = run_now()
    assert orders_of(third) == []  # the firm 10 cover the 10 needed
    assert PlannedOrder.objects.get().status == "firm"


def test_a_firm_make_order_keeps_its_components_demand_in_later_runs(in_acme, item, make_bom, demand, planner):
    pump, housing = item("PUMP", lead_time_days=4, procurement="make"), item("HOUSING", lead_time_days=2)
    make_bom(pump, (housing, 2))
    need(demand, pump, 3, day(30))
    first = run_now()
    pump_order = PlannedOrder.objects.get(run=first, item=pump)
    planned_order_firm(planned_order=pump_order, user=planner)
    second = run_now()
    # PUMP: the firm 3 cover the 3 needed, so no new PUMP order; the firm order still needs 3 x 2 = 6 HOUSING when
    # it starts (day 30 - 4 = day 26), bought 2 days before.
    assert orders_of(second) == [("HOUSING", "buy", D(6), day(26), day(24))]


def test_a_planned_order_of_an_earlier_run_is_out_of_date(in_acme, bolt, demand, planner):
    need(demand, bolt, 10, day(20))
    first = run_now()
    second = run_now()
    with pytest.raises(PlannedOrderError, match=f"out of date: act on the planned orders of run #{second.pk}"):
        planned_order_firm(planned_order=PlannedOrder.objects.get(run=first), user=planner)


def test_firming_is_audited(in_acme, bolt, demand, planner):
    need(demand, bolt, 10, day(20))
    order = planned_order_firm(planned_order=PlannedOrder.objects.get(run=run_now()), user=planner)
    entry = AuditEntry.objects.get(action="planning.planned_order_firm")
    assert (entry.object_id, entry.changes) == (str(order.pk), {"status": ["planned", "firm"]})


# --- Change date and quantity ---------------------------------------------------------------------------------------
def test_changing_quantity_and_due_date_firms_the_order_and_keeps_its_lead_time(api, in_acme, bolt, demand):
    need(demand, bolt, 10, day(20))
    order = PlannedOrder.objects.get(run=run_now())
    response = api.patch(
        f"{BASE}/planned-orders/{order.pk}/", {"quantity": "12", "due_date": day(25).isoformat()}, content_type=JSON
    )
    assert response.status_code == 200, response.content
    body = response.json()
    # Due day 25 instead of 20: released 5 days before, as before (day 15 -> day 20).
    assert (body["status"], body["quantity"], body["due_date"], body["release_date"]) == (
        "firm",
        "12.0000",
        day(25).isoformat(),
        day(20).isoformat(),
    )


def test_a_changed_firm_order_is_kept_and_the_run_asks_to_reschedule_it_in(api, in_acme, bolt, demand):
    need(demand, bolt, 10, day(20))
    order = PlannedOrder.objects.get(run=run_now())
    api.patch(
        f"{BASE}/planned-orders/{order.pk}/", {"quantity": "12", "due_date": day(25).isoformat()}, content_type=JSON
    )
    second = run_now()
    # The 12 come on day 25, after the 10 are needed on day 20: the run plans 10 for day 20 again, and tells the
    # planner the firm order is needed on day 20.
    assert orders_of(second) == [("BOLT", "buy", D(10), day(20), day(15))]
    [message] = [e for e in second.exceptions if e["label"] == order.label]
    assert (message["kind"], message["to_date"]) == ("reschedule_in", day(20).isoformat())


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"quantity": "0"}, "quantity"),
        ({"quantity": "-2"}, "quantity"),
        ({"quantity": "1.5"}, "quantity"),  # BOLT is counted in whole pieces
        ({"quantity": "abc"}, "quantity"),
        ({"due_date": "2300-01-01"}, "due_date"),
        ({"due_date": "tomorrow"}, "due_date"),
        ({"release_date": day(40).isoformat()}, "release_date"),  # after the due date (day 20)
        ({}, "quantity"),
    ],
)
def test_a_bad_change_is_a_400_on_its_field_and_changes_nothing(api, in_acme, bolt, demand, body, field):
    need(demand, bolt, 10, day(20))
    order = PlannedOrder.objects.get(run=run_now())
    response = api.patch(f"{BASE}/planned-orders/{order.pk}/", body, content_type=JSON)
    assert response.status_code == 400, response.content
    assert field in response.json()
    order.refresh_from_db()
    assert (order.status, order.quantity, order.due_date) == ("planned", D(10), day(20))


def test_firming_through_the_api(api, in_acme, bolt, demand):
    need(demand, bolt, 10, day(20))
    order = PlannedOrder.objects.get(run=run_now())
    response = api.post(f"{BASE}/planned-orders/{order.pk}/firm/", content_type=JSON)
    assert response.status_code == 200 and response.json()["status"] == "firm"
    assert [o["id"] for o in api.get(f"{BASE}/planned-orders/firm-orders/").json()] == [order.pk]


# --- Convert: buy -> purchase orders by preferred supplier ----------------------------------------------------------
@pytest.fixture
def three_buys(in_acme, item, demand, planner):
    """A and B are preferred from S1, C from S2 (A also has a cheaper, not preferred, price at S2)."""
    s1, s2 = SupplierFactory(code="S1"), SupplierFactory(code="S2")
    a, b, c = item("A", lead_time_days=5), item("B", lead_time_days=5), item("C", lead_time_days=5)
    supplier_item_create(supplier=s1, item=a, unit_price="2.50", lead_time_days=3, is_preferred=True, user=planner)
    supplier_item_create(supplier=s2, item=a, unit_price="2.00", user=planner)
    supplier_item_create(supplier=s1, item=b, unit_price="4.00", lead_time_days=25, is_preferred=True, user=planner)
    supplier_item_create(supplier=s2, item=c, unit_price="1.25", minimum_quantity=10, is_preferred=True, user=planner)
    need(demand, a, 10, day(20))
    need(demand, b, 6, day(20))
    need(demand, c, 8, day(30))
    run = run_now()
    return s1, s2, list(PlannedOrder.objects.filter(run=run).order_by("item__sku"))


def lines_of(order: PurchaseOrder) -> list[tuple]:
    return [
        (line.item.sku, line.quantity, line.unit_cost, line.expected_date)
        for line in order.lines.select_related("item").order_by("item__sku")
    ]


def test_converting_buys_groups_them_into_one_purchase_order_per_preferred_supplier(api, three_buys):
    s1, s2, orders = three_buys
    response = api.post(f"{BASE}/planned-orders/convert/", {"ids": [o.pk for o in orders]}, content_type=JSON)
    assert response.status_code == 201, response.content
    first, second = PurchaseOrder.objects.order_by("pk")
    assert (first.supplier, first.status, second.supplier) == (s1, "draft", s2)
    # S1: A 10 at 2.50 due day 20 (3 days' lead is before it); B 6 at 4.00, but 25 days' lead: day 25 at the
    # earliest. Total 10 x 2.50 + 6 x 4.00 = 49.00.
    assert lines_of(first) == [("A", D(10), D("2.50"), day(20)), ("B", D(6), D("4.00"), day(25))]
    assert sum(line.quantity * line.unit_cost for line in first.lines.all()) == D("49.00")
    # S2: C 8 planned, but S2 sells at least 10: 10 at 1.25, due day 30.
    assert lines_of(second) == [("C", D(10), D("1.25"), day(30))]
    assert sorted(po["number"] for po in response.json()["purchase_orders"]) == [first.number, second.number]


def test_converted_planned_orders_link_to_their_purchase_order_and_are_audited(api, three_buys):
    _, _, orders = three_buys
    api.post(f"{BASE}/planned-orders/convert/", {"ids": [o.pk for o in orders]}, content_type=JSON)
    first = PurchaseOrder.objects.order_by("pk").first()
    a, b, _ = (PlannedOrder.objects.get(pk=o.pk) for o in orders)
    assert (a.status, a.purchase_order, b.purchase_order) == ("converted", first, first)
    assert AuditEntry.objects.filter(action="planning.planned_order_convert").count() == 3


def test_a_converted_order_is_supply_and_not_planned_again(api, three_buys):
    _, _, orders = three_buys
    api.post(f"{BASE}/planned-orders/{orders[0].pk}/convert/", content_type=JSON)
    run = run_now()
    # The draft PO for 10 A is not on order yet (drafts are not sent): A is planned again; B and C are as before.
    skus = [row[0] for row in orders_of(run)]
    assert skus.count("B") == 1 and skus.count("C") == 1


def test_converting_twice_is_refused(api, three_buys):
    _, _, orders = three_buys
    url = f"{BASE}/planned-orders/{orders[2].pk}/convert/"
    assert api.post(url, content_type=JSON).status_code == 201
    response = api.post(url, content_type=JSON)
    assert response.status_code == 400 and "already converted" in response.json()["ids"][0]
    assert PurchaseOrder.objects.count() == 1


def test_an_item_without_a_preferred_supplier_is_a_400_naming_it_and_nothing_is_converted(
    api, three_buys, item, demand
):
    nut = item("NUT", lead_time_days=1)
    need(demand, nut, 5, day(10))
    run = run_now()
    ids = list(PlannedOrder.objects.filter(run=run).values_list("pk", flat=True))
    response = api.post(f"{BASE}/planned-orders/convert/", {"ids": ids}, content_type=JSON)
    assert response.status_code == 400
    nut_order = PlannedOrder.objects.get(run=run, item=nut)
    assert response.json()["ids"] == [
        f"{nut_order.label}: item NUT has no preferred supplier; give it a supplier price marked preferred before "
        "converting"
    ]
    assert not PurchaseOrder.objects.exists()
    assert set(PlannedOrder.objects.filter(run=run).values_list("status", flat=True)) == {"planned"}


@pytest.mark.parametrize("ids", [[], ["x"], [1.5], "1", None])
def test_a_bad_selection_is_a_400(api, in_acme, ids):
    response = api.post(f"{BASE}/planned-orders/convert/", {"ids": ids}, content_type=JSON)
    assert response.status_code == 400 and "ids" in response.json()


def test_an_unknown_id_is_a_404(api, in_acme):
    assert api.post(f"{BASE}/planned-orders/convert/", {"ids": [999999]}, content_type=JSON).status_code == 404


# --- Convert: make -> work order ------------------------------------------------------------------------------------
def test_converting_a_make_order_creates_a_draft_work_order_for_its_bom(api, in_acme, item, make_bom, demand):
    pump, housing = item("PUMP", lead_time_days=4, procurement="make"), item("HOUSING", lead_time_days=2)
    bom = make_bom(pump, (housing, 2))
    need(demand, pump, 3, day(30))
    order = PlannedOrder.objects.get(run=run_now(), item=pump)
    response = api.post(f"{BASE}/planned-orders/{order.pk}/convert/", content_type=JSON)
    assert response.status_code == 201, response.content
    work_order = WorkOrder.objects.get()
    assert (work_order.item, work_order.quantity, work_order.due_date, work_order.state) == (
        pump,
        D(3),
        day(30),
        "draft",
    )
    assert response.json()["work_orders"] == [{"id": work_order.pk, "number": work_order.number}]
    order.refresh_from_db()
    assert (order.status, order.work_order) == ("converted", work_order)
    # The draft work order brings the 3 PUMP and needs its BOM's 3 x 2 = 6 HOUSING by day 26: the next run plans
    # exactly that, and no PUMP.
    assert bom.is_active
    assert orders_of(run_now()) == [("HOUSING", "buy", D(6), day(26), day(24))]


def test_a_make_order_without_an_active_bom_is_refused(api, in_acme, item, demand):
    gear = item("GEAR", lead_time_days=4, procurement="make")
    need(demand, gear, 2, day(30))
    order = PlannedOrder.objects.get(run=run_now(), item=gear)
    response = api.post(f"{BASE}/planned-orders/{order.pk}/convert/", content_type=JSON)
    assert response.status_code == 400
    assert response.json()["ids"] == [f"{order.label}: item GEAR has no active BOM; give it one before converting"]
    assert not WorkOrder.objects.exists()


def test_converting_in_the_service_refuses_an_empty_selection(in_acme, planner):
    with pytest.raises(PlannedOrderError, match="select at least one"):
        planned_orders_convert(planned_orders=[], user=planner)


# --- A run records its inputs and compares with the one before ------------------------------------------------------
def test_a_run_records_its_inputs(api, in_acme, bolt, demand):
    need(demand, bolt, 10, day(20))
    run = run_now(horizon_days=60)
    body = api.get(f"{BASE}/runs/{run.pk}/").json()
    assert body["inputs"] == {
        "today": TODAY.isoformat(), "horizon_days": 60, "demand_lines": 1, "supply_lines": 0, "items": 1,
        "firm_planned_orders": [],
    }  # fmt: skip
    assert body["previous_run"] is None and body["comparison"] == {}


def test_the_comparison_shows_planned_quantities_new_and_removed_orders_and_messages(in_acme, item, demand, planner):
    bolt, nut, gear = item("BOLT", lead_time_days=5), item("NUT", lead_time_days=30), item("GEAR", lead_time_days=1)
    need(demand, bolt, 10, day(20))
    need(demand, nut, 5, day(10), "SO-9")  # ordered 30 days before day 10: late, an "expedite" message
    first = run_now()
    firm = planned_order_firm(planned_order=PlannedOrder.objects.get(run=first, item=bolt), user=planner)
    demand[:] = []
    need(demand, bolt, 14, day(20))  # BOLT: 14 now, the firm 10 + a new 4
    need(demand, gear, 3, day(7))  # GEAR is new; NUT's demand is gone
    second = run_now()
    comparison = second.comparison
    assert second.previous_run == first and comparison["previous_run"] == first.pk
    assert [(i["sku"], i["before"], i["after"], i["change"]) for i in comparison["items"]] == [
        ("BOLT", "10", "14", "4"),  # the firm 10 on both sides, plus the new 4
        ("GEAR", "0", "3", "3"),
        ("NUT", "5", "0", "-5"),
    ]
    assert sorted((o["sku"], o["quantity"]) for o in comparison["new_planned_orders"]) == [("BOLT", "4"), ("GEAR", "3")]
    assert [(o["sku"], o["quantity"]) for o in comparison["removed_planned_orders"]] == [("NUT", "5")]
    assert firm.label not in {
        o["label"] for o in comparison["new_planned_orders"] + comparison["removed_planned_orders"]
    }
    assert len(comparison["exceptions_gone"]) == 1 and comparison["exceptions_gone"][0].startswith("NUT: 5 needed")
    assert comparison["exceptions_added"] == []


# --- Roles and tenants ----------------------------------------------------------------------------------------------
def test_a_viewer_may_read_but_not_firm_change_or_convert(acme, acme_client, bolt, demand):
    need(demand, bolt, 10, day(20))
    order = PlannedOrder.objects.get(run=run_now())
    viewer = signed_in_as(acme_client, acme, "read-only")
    assert viewer.get(f"{BASE}/planned-orders/{order.pk}/").status_code == 200
    assert viewer.post(f"{BASE}/planned-orders/{order.pk}/firm/", content_type=JSON).status_code == 403
    assert viewer.post(f"{BASE}/planned-orders/{order.pk}/convert/", content_type=JSON).status_code == 403
    assert viewer.post(f"{BASE}/planned-orders/convert/", {"ids": [order.pk]}, content_type=JSON).status_code == 403
    assert viewer.patch(f"{BASE}/planned-orders/{order.pk}/", {"quantity": "3"}, content_type=JSON).status_code == 403
    order.refresh_from_db()
    assert (order.status, order.quantity) == ("planned", D(10))


def test_another_tenants_planned_order_ids_are_404_and_untouched(acme, globex, globex_client, item, demand):
    with tenant_context(acme):
        bolt = item("BOLT", lead_time_days=5)
        need(demand, bolt, 10, day(20))
        order = PlannedOrder.objects.get(run=run_now())
    client = logged_in(globex_client, globex)
    assert client.get(f"{BASE}/planned-orders/{order.pk}/").status_code == 404
    assert client.patch(f"{BASE}/planned-orders/{order.pk}/", {"quantity": "3"}, content_type=JSON).status_code == 404
    assert client.post(f"{BASE}/planned-orders/{order.pk}/firm/", content_type=JSON).status_code == 404
    assert client.post(f"{BASE}/planned-orders/{order.pk}/convert/", content_type=JSON).status_code == 404
    assert client.post(f"{BASE}/planned-orders/convert/", {"ids": [order.pk]}, content_type=JSON).status_code == 404
    assert client.post(f"{BASE}/planned-orders/firm/", {"ids": [order.pk]}, content_type=JSON).status_code == 404
    with tenant_context(acme):
        order.refresh_from_db()
        assert (order.status, order.quantity) == ("planned", D(10))


# --- Pages ----------------------------------------------------------------------------------------------------------
def test_the_run_page_lists_planned_orders_to_tick_and_the_comparison(api, in_acme, bolt, demand):
    need(demand, bolt, 10, day(20))
    run_now()
    second = run_now()
    order = PlannedOrder.objects.get(run=second)
    page = api.get(f"/production/mrp/runs/{second.pk}/").content.decode()
    assert f'name="ids" value="{order.pk}"' in page and "Convert selected" in page
    assert f"Compared with run #{second.previous_run_id}" in page


def test_converting_from_the_page_needs_the_confirmation(api, three_buys):
    _, _, orders = three_buys
    run_id = orders[0].run_id
    url = f"/production/mrp/runs/{run_id}/planned-orders/"
    response = api.post(url, {"ids": [o.pk for o in orders], "action": "convert"}, follow=True)
    assert "Tick the box to confirm" in response.content.decode()
    assert not PurchaseOrder.objects.exists()
    response = api.post(url, {"ids": [o.pk for o in orders], "action": "convert", "confirm": "1"}, follow=True)
    assert PurchaseOrder.objects.count() == 2
    assert "Converted 3 planned order(s)" in response.content.decode()


def test_firming_from_the_page(api, in_acme, bolt, demand):
    need(demand, bolt, 10, day(20))
    order = PlannedOrder.objects.get(run=run_now())
    api.post(f"/production/mrp/runs/{order.run_id}/planned-orders/", {"ids": [order.pk], "action": "firm"})
    order.refresh_from_db()
    assert order.status == "firm"


def test_a_refused_conversion_from_the_page_says_why(api, in_acme, item, demand):
    nut = item("NUT", lead_time_days=1)
    need(demand, nut, 5, day(10))
    order = PlannedOrder.objects.get(run=run_now())
    url = f"/production/mrp/runs/{order.run_id}/planned-orders/"
    response = api.post(url, {"ids": [order.pk], "action": "convert", "confirm": "1"}, follow=True)
    assert "item NUT has no preferred supplier" in response.content.decode()
    order.refresh_from_db()
    assert order.status == "planned"


def test_changing_a_planned_order_on_its_page(api, in_acme, bolt, demand):
    need(demand, bolt, 10, day(20))
    order = PlannedOrder.objects.get(run=run_now())
    url = f"/production/mrp/planned-orders/{order.pk}/edit/"
    bad = api.post(url, {"quantity": "1.5", "due_date": day(20), "release_date": day(15)})
    assert bad.status_code == 400 and bad.context["form"].errors["quantity"]
    good = api.post(url, {"quantity": "12", "due_date": day(22), "release_date": day(16)})
    assert good.status_code == 302
    order.refresh_from_db()
    assert (order.status, order.quantity, order.due_date, order.release_date) == ("firm", D(12), day(22), day(16))


def test_a_viewer_cannot_act_on_planned_orders_from_the_pages(acme, acme_client, bolt, demand):
    need(demand, bolt, 10, day(20))
    order = PlannedOrder.objects.get(run=run_now())
    viewer = signed_in_as(acme_client, acme, "read-only")
    acted = viewer.post(f"/production/mrp/runs/{order.run_id}/planned-orders/", {"ids": [order.pk], "action": "firm"})
    assert acted.status_code == 403
    assert viewer.get(f"/production/mrp/planned-orders/{order.pk}/edit/").status_code == 403


def test_another_tenants_planned_order_page_is_404(acme, globex, globex_client, item, demand):
    with tenant_context(acme):
        need(demand, item("BOLT", lead_time_days=5), 10, day(20))
        order = PlannedOrder.objects.get(run=run_now())
    client = logged_in(globex_client, globex)
    assert client.get(f"/production/mrp/planned-orders/{order.pk}/edit/").status_code == 404
