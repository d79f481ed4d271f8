"""The costing pages: the roll-up runs and one run's levels, the work order's costs, the stock valuation report;
a bad input is a form error, another tenant's run is a 404."""

import datetime
from decimal import Decimal

import pytest
from django_tenants.utils import tenant_context

from inventory.services import stock_receive
from production.models import CostRollup
from production.services import bom_create, cost_rollup_run
from tests.inventory.conftest import logged_in

D = Decimal


def metres():
    """A unit counted in decimals (pieces are whole): for the components used in fractions."""
    from inventory.models import UnitOfMeasure

    return UnitOfMeasure.objects.get(code="m")


@pytest.fixture
def boss(acme, acme_client):
    return logged_in(acme_client, acme)


@pytest.fixture
def gear(item, planner):
    """GEAR = 2 BLANK (10% scrap) at 3.00 + 4.00 labour per unit: 10.60."""
    blank, gear = item("BLANK", standard_cost=D(3), uom=metres()), item("GEAR")
    bom_create(
        item=gear, lines=[{"component": blank, "quantity": D(2), "scrap_percent": D(10)}], labour_cost=D(4),
        user=planner,
    )  # fmt: skip
    return gear


def test_running_the_rollup_from_its_page_shows_what_changed(boss, gear):
    response = boss.post("/production/costing/", {"item": ""}, follow=True)
    assert response.status_code == 200
    rollup = CostRollup.objects.get()
    page = response.content.decode()
    assert f"Cost roll-up #{rollup.pk}" in page
    assert "GEAR" in page and "10.6" in page and "9.35" in page  # 1.25 -> 10.60


def test_rollup_for_an_unknown_sku_is_a_form_error(boss, gear):
    response = boss.post("/production/costing/", {"item": "NOPE"})
    assert response.status_code == 400
    assert "no item has SKU" in response.content.decode()
    assert not CostRollup.objects.exists()


def test_rollup_for_an_item_without_a_bom_is_a_form_error(boss, item):
    item("LOOSE")
    response = boss.post("/production/costing/", {"item": "LOOSE"})
    assert response.status_code == 400
    assert "LOOSE has no active BOM" in response.content.decode()


def test_work_order_page_shows_its_costs(boss, gear, planner, receiving):
    from production.services import work_order_complete, work_order_create, work_order_release, work_order_start

    cost_rollup_run(user=planner)
    stock_receive(
        item=gear.boms.get().lines.get().component, location=receiving, quantity=10, unit_cost="3.50", user=planner
    )
    work_order = work_order_create(item=gear, quantity=2, due_date=datetime.date(2027, 1, 31), user=planner)
    for step in (work_order_release, work_order_start, work_order_complete):
        step(work_order=work_order, user=planner)
    page = boss.get(f"/production/work-orders/{work_order.pk}/").content.decode()
    # 4.4 BLANK x 3.50 = 15.40 + 8.00 labour = 23.40 against 2 x 10.60 = 21.20: +2.20
    assert '<td class="num" id="actual-cost">23.4</td>' in page
    assert '<td class="num" id="cost-variance">2.2</td>' in page


def test_valuation_page_totals_the_stock(boss, item, planner, receiving):
    stock_receive(item=item("BOLT"), location=receiving, quantity=10, unit_cost="2.00", user=planner)
    stock_receive(item=item("NUT"), location=receiving, quantity=4, unit_cost="0.25", user=planner)
    page = boss.get("/inventory/valuation/").content.decode()
    assert '<td class="num" id="valuation-total">21</td>' in page  # 20.00 + 1.00


def test_valuation_page_with_a_bad_date_is_a_form_error(boss, in_acme):
    response = boss.get("/inventory/valuation/", {"date": "31/31/2026"})
    assert response.status_code == 400


def test_receive_form_takes_a_unit_cost_and_refuses_a_negative_one(boss, item, receiving):
    from inventory.models import ItemValuation

    bolt = item("BOLT")
    form = {"item": "BOLT", "location": receiving.pk, "quantity": "4", "unit_cost": "-1"}
    assert boss.post("/inventory/stock/receive/", form).status_code == 400
    boss.post("/inventory/stock/receive/", {**form, "unit_cost": "2.5"})
    assert ItemValuation.objects.get(item=bolt).value == D("10.00")


def test_another_tenants_rollup_page_is_a_404(acme, gear, planner, globex, globex_client):
    rollup = cost_rollup_run(user=planner)
    client = logged_in(globex_client, globex)
    with tenant_context(globex):
        response = client.get(f"/production/costing/{rollup.pk}/")
        assert response.status_code == 404
        assert b"GEAR" not in client.get("/production/costing/").content
        assert b"GEAR" not in client.get("/inventory/valuation/").content


def _bom_data(**header) -> dict:
    data = {"item": "WHEEL", "version": "1", "is_active": "on", "note": "", **header}
    data.update({"lines-TOTAL_FORMS": "1", "lines-INITIAL_FORMS": "0", "lines-0-component": "SPOKE"})
    data["lines-0-quantity"] = "3"
    return data


def test_bom_form_saves_labour_and_overhead_per_batch(boss, item):
    from production.models import Bom

    item("WHEEL"), item("SPOKE")
    data = _bom_data(labour_cost="12", overhead_cost="30", cost_basis="per_batch", batch_size="20")
    assert boss.post("/production/boms/new/", data).status_code == 302
    bom = Bom.objects.get(item__sku="WHEEL")
    assert (bom.labour_cost, bom.overhead_cost, bom.cost_basis, bom.batch_size) == (D(12), D(30), "per_batch", D(20))


def test_bom_form_refuses_a_negative_labour_cost_by_its_field(boss, item):
    from production.models import Bom

    item("WHEEL"), item("SPOKE")
    response = boss.post("/production/boms/new/", _bom_data(labour_cost="-5"))
    assert response.status_code == 400
    assert "labour_cost" in response.context["form"].errors
    assert not Bom.objects.filter(item__sku="WHEEL").exists()
