"""The costing API: roll-up runs under /api/v1/production/cost-rollups/, BOM costs, work-order costs, the stock
valuation report under /api/v1/inventory/valuation/; bad input is a 400, another tenant reaches nothing."""

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone
from django_tenants.utils import tenant_context

from inventory.models import Item
from inventory.services import stock_receive
from production.models import CostRollup
from production.services import bom_create, cost_rollup_run
from tests.inventory.conftest import logged_in

D = Decimal


def metres():
    """A unit counted in decimals (pieces are whole): for the components used in fractions."""
    from inventory.models import UnitOfMeasure

    return UnitOfMeasure.objects.get(code="m")


BASE = "/api/v1/production"
VALUATION = "/api/v1/valuation/"


@pytest.fixture
def acme_api(acme, acme_client):
    return logged_in(acme_client, acme)


@pytest.fixture
def globex_api(globex, globex_client):
    return logged_in(globex_client, globex)


def post(client, url, payload=None):
    return client.post(url, payload or {}, content_type="application/json")


@pytest.fixture
def gear(item, planner):
    """GEAR = 2 BLANK (10% scrap) at 3.00 + 4.00 labour per unit: 2 x 1.1 x 3.00 + 4.00 = 10.60."""
    blank, gear = item("BLANK", standard_cost=D(3), uom=metres()), item("GEAR")
    bom_create(
        item=gear, lines=[{"component": blank, "quantity": D(2), "scrap_percent": D(10)}], labour_cost=D(4),
        user=planner,
    )  # fmt: skip
    return gear


def test_posting_a_rollup_runs_it_and_answers_what_changed(acme_api, gear):
    response = post(acme_api, f"{BASE}/cost-rollups/")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["item_count"], body["changed_count"]) == (1, 1)
    [line] = body["lines"]
    assert (line["sku"], line["level"], line["old_cost"], line["material_cost"], line["labour_cost"]) == (
        "GEAR", 1, "1.2500", "6.6000", "4.0000",
    )  # fmt: skip
    assert (line["new_cost"], line["change"]) == ("10.6000", "9.3500")
    assert acme_api.get(f"{BASE}/cost-rollups/{body['id']}/").json()["lines"][0]["new_cost"] == "10.6000"
    assert Item.objects.get(pk=gear.pk).standard_cost == D("10.60")


def test_rollup_of_an_item_without_a_bom_is_a_400_on_its_field(acme_api, item):
    response = post(acme_api, f"{BASE}/cost-rollups/", {"item": item("LOOSE").pk})
    assert response.status_code == 400
    assert "LOOSE has no active BOM" in str(response.json()["item"])
    assert not CostRollup.objects.exists()


def test_negative_bom_costs_are_a_400_on_their_field(acme_api, item):
    for field in ["labour_cost", "overhead_cost"]:
        response = post(
            acme_api,
            f"{BASE}/boms/",
            {
                "item": item(f"P-{field}").pk,
                field: "-5",
                "lines": [{"component": item(f"C-{field}").pk, "quantity": "1"}],
            },
        )
        assert response.status_code == 400, response.json()
        assert field in response.json()


def test_bom_costs_are_written_and_read_through_the_api(acme_api, item):
    response = post(
        acme_api,
        f"{BASE}/boms/",
        {
            "item": item("PLATE").pk,
            "labour_cost": "12.5",
            "overhead_cost": "30",
            "cost_basis": "per_batch",
            "batch_size": "20",
            "lines": [{"component": item("SHEET").pk, "quantity": "1"}],
        },
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["labour_cost"], body["overhead_cost"], body["cost_basis"], body["batch_size"]) == (
        "12.5000", "30.0000", "per_batch", "20.0000",
    )  # fmt: skip


def test_work_order_api_shows_actual_cost_and_variance(acme_api, gear, planner, receiving):
    from production.services import work_order_complete, work_order_create, work_order_release, work_order_start

    cost_rollup_run(user=planner)
    blank = Item.objects.get(sku="BLANK")
    stock_receive(item=blank, location=receiving, quantity=10, unit_cost="3.50", user=planner)
    work_order = work_order_create(item=gear, quantity=2, due_date=datetime.date(2027, 1, 31), user=planner)
    for step in (work_order_release, work_order_start, work_order_complete):
        step(work_order=work_order, user=planner)
    body = acme_api.get(f"{BASE}/work-orders/{work_order.pk}/").json()
    # 2 x 2 x 1.1 = 4.4 BLANK at 3.50 = 15.40; labour 2 x 4.00 = 8.00; actual 23.40; standard 2 x 10.60 = 21.20
    assert (body["material_cost"], body["labour_cost"], body["overhead_cost"]) == ("15.4000", "8.0000", "0.0000")
    assert (body["actual_cost"], body["standard_cost"], body["cost_variance"]) == ("23.4000", "21.2000", "2.2000")


def test_valuation_report_at_a_past_date(acme_api, item, planner, receiving):
    bolt = item("BOLT")
    stock_receive(item=bolt, location=receiving, quantity=10, unit_cost="2.00", user=planner)
    today = timezone.localdate()
    body = acme_api.get(VALUATION, {"date": today.isoformat()}).json()
    assert [(line["sku"], line["quantity"], line["unit_cost"], line["value"]) for line in body["lines"]] == [
        ("BOLT", "10.0000", "2.0000", "20.0000")
    ]
    yesterday = (today - datetime.timedelta(days=1)).isoformat()
    assert acme_api.get(VALUATION, {"date": yesterday}).json()["lines"] == []


def test_valuation_with_a_bad_date_is_a_400(acme_api, in_acme):
    response = acme_api.get(VALUATION, {"date": "yesterday"})
    assert response.status_code == 400
    assert "date" in response.json()


def test_a_receipt_posted_through_the_api_carries_its_price(acme_api, item, receiving):
    bolt = item("BOLT")
    response = post(
        acme_api,
        "/api/v1/moves/",
        {"item": bolt.pk, "quantity": "4", "reason": "receipt", "to_location": receiving.pk, "unit_cost": "2.5"},
    )
    assert response.status_code == 201, response.json()
    assert acme_api.get(VALUATION).json()["total"] == "10.0000"
    refused = post(
        acme_api,
        "/api/v1/moves/",
        {"item": bolt.pk, "quantity": "4", "reason": "receipt", "to_location": receiving.pk, "unit_cost": "-1"},
    )
    assert refused.status_code == 400
    assert "unit_cost" in refused.json()


# --- Isolation -------------------------------------------------------------------------------------------------
def test_globex_reaches_no_acme_rollup_and_values_no_acme_stock(acme, gear, planner, receiving, globex, globex_api):
    rollup = cost_rollup_run(user=planner)
    stock_receive(item=gear, location=receiving, quantity=3, unit_cost="9.00", user=planner)
    with tenant_context(globex):
        assert globex_api.get(f"{BASE}/cost-rollups/{rollup.pk}/").status_code == 404
        assert globex_api.get(f"{BASE}/cost-rollups/").json()["count"] == 0
        body = globex_api.get(VALUATION).json()
        assert b"GEAR" not in globex_api.get(VALUATION).content
        assert all(line["sku"] != "GEAR" for line in body["lines"])


def test_acme_session_cannot_run_a_rollup_on_globex_host(acme, acme_client, gear, globex):
    from tests.conftest import host_of

    client = logged_in(acme_client, acme)
    response = client.post(f"{BASE}/cost-rollups/", {}, content_type="application/json", HTTP_HOST=host_of(globex))
    assert response.status_code in {401, 403}
    with tenant_context(globex):
        assert not CostRollup.objects.exists()
