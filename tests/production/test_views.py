"""Production web pages: operator screen with actions, BOM tree, MRP; tenant isolation of the UI."""

import datetime
from decimal import Decimal

import pytest
from django_tenants.utils import tenant_context

from inventory.models import Location, StockLevel
from inventory.services import stock_receive
from planning.runs import mrp_run_execute
from planning.services import mrp_run_create
from production.models import WorkOrder
from production.services import work_order_create
from tests.conftest import host_of
from tests.inventory.conftest import logged_in

D = Decimal


@pytest.fixture
def acme_web(acme, acme_client):
    return logged_in(acme_client, acme)


@pytest.fixture
def pump(item, make_bom, planner):
    """PUMP = 2 HOUSING + 1 GASKET; HOUSING = 3 SCREW. 10 HOUSING, no GASKET in stock."""
    pump, housing, gasket, screw = item("PUMP"), item("HOUSING"), item("GASKET"), item("SCREW")
    make_bom(pump, (housing, 2), (gasket, 1))
    make_bom(housing, (screw, 3))
    receiving = Location.objects.get(is_default_receiving=True)
    stock_receive(item=housing, location=receiving, quantity=10, user=planner)
    return pump


@pytest.fixture
def work_order(pump):
    return work_order_create(item=pump, quantity=2, due_date=datetime.date(2027, 1, 31), user=None)


def test_pages_need_a_login(acme_client, in_acme):
    response = acme_client.get("/production/")
    assert response.status_code == 302
    assert "/login" in response["Location"] or "/admin/login" in response["Location"]


def test_work_order_list_shows_open_orders(acme_web, work_order):
    page = acme_web.get("/production/").content.decode()
    assert work_order.number in page
    assert "PUMP" in page


def test_operator_screen_shows_state_components_with_availability_and_why_actions_are_blocked(acme_web, work_order):
    page = acme_web.get(f"/production/work-orders/{work_order.pk}/").content.decode()
    assert 'id="state">Draft</span>' in page
    assert '<tr class="short">' in page  # GASKET: 2 needed, none available
    assert "cannot start" in page and "release it first" in page
    assert f'action="/production/work-orders/{work_order.pk}/release/"' in page


def test_release_with_a_shortage_shows_the_error_and_reserves_nothing(acme_web, work_order):
    response = acme_web.post(f"/production/work-orders/{work_order.pk}/release/", follow=True)
    page = response.content.decode()
    assert "GASKET needs 2, 0 available" in page
    work_order.refresh_from_db()
    assert work_order.state == "draft"
    assert not StockLevel.objects.filter(reserved__gt=0).exists()


def test_operator_buttons_run_the_whole_lifecycle(acme_web, work_order, planner):
    gasket = work_order.item.boms.get().lines.get(component__sku="GASKET").component
    stock_receive(item=gasket, location=Location.objects.get(is_default_receiving=True), quantity=5, user=planner)
    url = f"/production/work-orders/{work_order.pk}"
    acme_web.post(f"{url}/release/", {"location": ""})
    acme_web.post(f"{url}/start/")
    acme_web.post(f"{url}/complete/", {"quantity": "1"})
    work_order.refresh_from_db()
    assert (work_order.state, work_order.completed_quantity) == ("in_progress", D(1))
    acme_web.post(f"{url}/complete/", {"quantity": ""})
    work_order.refresh_from_db()
    assert work_order.state == "done"
    assert 'id="state">Done</span>' in acme_web.get(f"{url}/").content.decode()


def test_new_work_order_form_creates_a_draft(acme_web, pump):
    response = acme_web.post(
        "/production/work-orders/new/", {"item": "PUMP", "quantity": "3", "due_date": "2027-02-01"}
    )
    assert response.status_code == 302
    assert WorkOrder.objects.get().quantity == D(3)


def test_new_work_order_for_an_item_without_bom_is_a_form_error(acme_web, pump):
    response = acme_web.post(
        "/production/work-orders/new/", {"item": "SCREW", "quantity": "3", "due_date": "2027-02-01"}
    )
    assert response.status_code == 400
    assert "SCREW has no active BOM" in response.content.decode()
    assert not WorkOrder.objects.exists()


def test_bom_tree_page_is_indented_and_expandable(acme_web, pump):
    page = acme_web.get(f"/production/items/{pump.pk}/tree/", {"quantity": "2"}).content.decode()
    assert page.count("<details") == 1  # HOUSING is the one sub-assembly
    assert "12 pcs" in page  # SCREW: 2 x 2 x 3
    assert "Total per purchased component" in page


def test_an_mrp_run_page_lists_shortages(acme_web, work_order):
    run = mrp_run_execute(run_id=mrp_run_create(user=None).pk)
    page = acme_web.get(f"/production/mrp/runs/{run.pk}/").content.decode()
    # 2 pumps need 2 GASKET (none) and 4 HOUSING (10 available)
    shortages, grid = page.split('id="time-phased"')
    assert "GASKET" in shortages and "Buy" in shortages
    assert ">HOUSING<" not in shortages  # covered by stock: in the time-phased grid only
    assert ">HOUSING<" in grid


def test_bom_list_and_detail_pages(acme_web, pump):
    page = acme_web.get("/production/boms/").content.decode()
    assert "PUMP" in page and "HOUSING" in page
    bom = pump.boms.get()
    assert "GASKET" in acme_web.get(f"/production/boms/{bom.pk}/").content.decode()


# --- Isolation ------------------------------------------------------------------------------------------------------
def test_globex_user_gets_404_for_acme_pages_and_actions(work_order, acme, globex, globex_client):
    client = logged_in(globex_client, globex)
    bom = work_order.item.boms.get()
    for url in [
        f"/production/work-orders/{work_order.pk}/",
        f"/production/boms/{bom.pk}/",
        f"/production/items/{work_order.item_id}/tree/",
    ]:
        response = client.get(url)
        assert response.status_code == 404, url
        assert b"PUMP" not in response.content
    assert client.post(f"/production/work-orders/{work_order.pk}/cancel/").status_code == 404
    assert b"PUMP" not in client.get("/production/").content
    assert b"PUMP" not in client.get("/production/mrp/").content
    with tenant_context(acme):
        assert WorkOrder.objects.get(pk=work_order.pk).state == "draft"


def test_acme_session_is_not_valid_on_the_globex_host(work_order, acme, acme_client, globex):
    client = logged_in(acme_client, acme)
    response = client.get(f"/production/work-orders/{work_order.pk}/", HTTP_HOST=host_of(globex))
    assert response.status_code == 302  # to the login page of globex
    response = client.post(f"/production/work-orders/{work_order.pk}/cancel/", HTTP_HOST=host_of(globex))
    assert response.status_code == 302
    with tenant_context(acme):
        assert WorkOrder.objects.get(pk=work_order.pk).state == "draft"


@pytest.mark.parametrize("model", ["bom", "bomline", "workorder", "workordercomponent", "productionevent"])
def test_admin_lists_every_production_model(acme_web, work_order, model):
    assert acme_web.get(f"/admin/production/{model}/").status_code == 200


def test_admin_shows_a_bom_with_its_lines_read_only(acme_web, pump):
    page = acme_web.get(f"/admin/production/bom/{pump.boms.get().pk}/change/").content.decode()
    assert "GASKET" in page
    assert 'name="_save"' not in page
