"""Creating and editing BOMs in the pages: a line editor with the item picker, copy a version, activate one; through
the services, errors by the field or line with what was typed kept, 403 below master data, and tenant isolation."""

import datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django_tenants.utils import tenant_context

from production.models import Bom
from tests.inventory.factories import ItemFactory
from tests.web_roles import signed_in_as

D = Decimal


@pytest.fixture
def web(acme, acme_client):
    return signed_in_as(acme_client, acme, "planner")


@pytest.fixture
def viewer(acme, acme_client):
    return signed_in_as(acme_client, acme, "read-only")


def bom_data(lines: list[dict], **header) -> dict:
    data = {"item": "PUMP", "version": "1", "is_active": "on", "note": "", **header}
    data.update({"lines-TOTAL_FORMS": str(len(lines)), "lines-INITIAL_FORMS": "0"})
    for index, line in enumerate(lines):
        data.update({f"lines-{index}-{name}": value for name, value in line.items()})
    return data


@pytest.fixture
def parts(item):
    return item("PUMP"), item("HOUSING"), item("GASKET")


def test_planner_creates_a_bom_with_lines_through_the_service(web, parts):
    pump, housing, gasket = parts
    lines = [{"component": "housing", "quantity": "1"}, {"component": "GASKET", "quantity": "2", "scrap_percent": "5"}]
    response = web.post("/production/boms/new/", bom_data(lines))
    bom = Bom.objects.get(item=pump)
    assert response.status_code == 302 and response["Location"] == f"/production/boms/{bom.pk}/"
    assert [(line.component, line.quantity, line.scrap_percent) for line in bom.lines.all()] == [
        (housing, D(1), D(0)),
        (gasket, D(2), D(5)),
    ]
    assert bom.is_active


def test_a_cycle_is_refused_with_the_services_message_and_nothing_written(web, parts, make_bom):
    pump, housing, _ = parts
    make_bom(housing, (pump, 1))
    response = web.post("/production/boms/new/", bom_data([{"component": "HOUSING", "quantity": "1"}]))
    assert response.status_code == 400
    assert "cycle" in str(response.context["form"].errors)
    assert not Bom.objects.filter(item=pump).exists()


def test_a_comma_quantity_is_refused_on_its_line_with_the_text_kept(web, parts):
    response = web.post("/production/boms/new/", bom_data([{"component": "HOUSING", "quantity": "0,5"}]))
    assert "use a dot for decimals" in response.context["lines"].forms[0].errors["quantity"][0]
    assert 'value="0,5"' in response.content.decode()
    assert not Bom.objects.exists()


def test_a_service_refusal_about_line_two_is_shown_on_line_two(web, parts):
    inactive = ItemFactory(sku="OLD-PART", is_active=False)
    lines = [{"component": "HOUSING", "quantity": "1"}, {"component": inactive.sku, "quantity": "1"}]
    response = web.post("/production/boms/new/", bom_data(lines))
    assert response.status_code == 400
    assert "inactive" in response.context["lines"].forms[1].non_field_errors()[0]
    assert not Bom.objects.exists()


def test_add_a_line_without_javascript_keeps_the_rows_and_saves_nothing(web, parts):
    data = {**bom_data([{"component": "HOUSING", "quantity": "1"}]), "add_line": "1"}
    page = web.post("/production/boms/new/", data).content.decode()
    assert 'name="lines-TOTAL_FORMS" value="2"' in page and 'value="HOUSING"' in page
    assert "hx-post" in page and "htmx" in page
    assert not Bom.objects.exists()


def test_planner_edits_a_bom_replacing_its_lines(web, parts, make_bom):
    pump, housing, gasket = parts
    bom = make_bom(pump, (housing, 1))
    page = web.get(f"/production/boms/{bom.pk}/edit/").content.decode()
    assert 'value="HOUSING"' in page
    data = bom_data([{"component": "GASKET", "quantity": "4"}])
    del data["item"]
    assert web.post(f"/production/boms/{bom.pk}/edit/", data).status_code == 302
    assert [(line.component, line.quantity) for line in bom.lines.all()] == [(gasket, D(4))]


def test_copy_starts_the_next_version_inactive_with_the_same_lines(web, parts, make_bom):
    pump, housing, _ = parts
    bom = make_bom(pump, (housing, 3))
    page = web.get(f"/production/boms/new/?copy={bom.pk}").content.decode()
    assert 'name="version" value="2"' in page and 'value="HOUSING"' in page and 'value="3"' in page
    data = bom_data([{"component": "HOUSING", "quantity": "3"}], version="2")
    del data["is_active"]
    assert web.post("/production/boms/new/", data).status_code == 302
    assert list(Bom.objects.filter(item=pump).values_list("version", "is_active")) == [("1", True), ("2", False)]


def test_activate_makes_a_version_the_active_one(web, parts, make_bom):
    pump, housing, gasket = parts
    first = make_bom(pump, (housing, 1))
    second = make_bom(pump, (gasket, 1), version="2")  # created active: the first is now inactive
    assert web.post(f"/production/boms/{first.pk}/activate/").status_code == 302
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.is_active and not second.is_active


def test_read_only_user_gets_403_on_the_bom_pages(viewer, parts, make_bom):
    pump, housing, _ = parts
    bom = make_bom(pump, (housing, 1))
    assert viewer.get("/production/boms/new/").status_code == 403
    assert viewer.get(f"/production/boms/{bom.pk}/edit/").status_code == 403
    assert viewer.post(f"/production/boms/{bom.pk}/activate/").status_code == 403


def test_another_tenants_host_cannot_open_this_tenants_bom_edit_page(acme, globex, globex_client):
    with tenant_context(acme):
        from production.services import bom_create

        boms = [
            bom_create(item=ItemFactory(), lines=[{"component": ItemFactory(), "quantity": 1}], user=None)
            for _ in range(3)
        ]
    client = signed_in_as(globex_client, globex, "planner")
    assert client.get(f"/production/boms/{boms[-1].pk}/edit/").status_code == 404
    assert client.get(f"/production/boms/new/?copy={boms[-1].pk}").status_code == 404


def test_bom_edit_page_query_count_is_pinned(web, item, make_bom):
    parent = item("PARENT")
    bom = make_bom(parent, *[(item(f"C-{n}"), 1) for n in range(10)])
    web.get(f"/production/boms/{bom.pk}/edit/")
    with CaptureQueriesContext(connection) as queries:
        assert web.get(f"/production/boms/{bom.pk}/edit/").status_code == 200
    assert len(queries) <= 7, [q["sql"] for q in queries]


# --- Work orders: layout and confirmation ----------------------------------------------------------------------------
def test_new_work_order_form_puts_each_field_on_its_own_row(web, parts):
    page = web.get("/production/work-orders/new/").content.decode()
    assert page.count('<div class="field">') == 5


def test_work_order_cancel_needs_the_confirmation_box(web, parts, make_bom):
    from production.services import work_order_create

    pump, housing, _ = parts
    make_bom(pump, (housing, 1))
    work_order = work_order_create(item=pump, quantity=2, due_date=datetime.date.today(), user=None)
    page = web.get(f"/production/work-orders/{work_order.pk}/").content.decode()
    assert "cannot be reopened" in page
    response = web.post(f"/production/work-orders/{work_order.pk}/cancel/", follow=True)
    assert "tick the box to confirm" in response.content.decode()
    work_order.refresh_from_db()
    assert work_order.state != "cancelled"
    web.post(f"/production/work-orders/{work_order.pk}/cancel/", {"confirm": "on"})
    work_order.refresh_from_db()
    assert work_order.state == "cancelled"


def test_planner_edits_a_draft_work_orders_quantity_and_due_date(web, parts, make_bom):
    from production.services import work_order_create

    pump, housing, _ = parts
    make_bom(pump, (housing, 1))
    work_order = work_order_create(item=pump, quantity=2, due_date=datetime.date.today(), user=None)
    assert (
        f"/production/work-orders/{work_order.pk}/edit/"
        in web.get(f"/production/work-orders/{work_order.pk}/").content.decode()
    )
    due = datetime.date.today() + datetime.timedelta(days=3)
    response = web.post(f"/production/work-orders/{work_order.pk}/edit/", {"quantity": "2,5", "due_date": due})
    assert response.status_code == 400 and "use a dot" in response.context["form"].errors["quantity"][0]
    response = web.post(f"/production/work-orders/{work_order.pk}/edit/", {"quantity": "5", "due_date": due})
    assert response.status_code == 302
    work_order.refresh_from_db()
    assert (work_order.quantity, work_order.due_date) == (D(5), due)


def test_a_released_work_order_is_not_edited(web, parts, make_bom, receiving):
    from inventory.services import stock_receive
    from production.services import work_order_create, work_order_release

    pump, housing, _ = parts
    make_bom(pump, (housing, 1))
    stock_receive(item=housing, location=receiving, quantity=5, user=None)
    work_order = work_order_create(item=pump, quantity=2, due_date=datetime.date.today(), user=None)
    work_order_release(work_order=work_order, user=None)
    response = web.post(f"/production/work-orders/{work_order.pk}/edit/", {"quantity": "9", "due_date": "2030-01-01"})
    assert response.status_code == 302
    work_order.refresh_from_db()
    assert work_order.quantity == D(2)


def test_read_only_user_gets_403_on_the_work_order_edit_page(viewer, parts, make_bom):
    from production.services import work_order_create

    pump, housing, _ = parts
    make_bom(pump, (housing, 1))
    work_order = work_order_create(item=pump, quantity=2, due_date=datetime.date.today(), user=None)
    assert viewer.get(f"/production/work-orders/{work_order.pk}/edit/").status_code == 403


def test_a_refused_completion_shows_the_message_by_the_quantity_with_the_typed_value(
    acme, acme_client, parts, make_bom, receiving
):
    from inventory.services import stock_receive
    from production.services import work_order_create, work_order_release, work_order_start

    pump, housing, _ = parts
    make_bom(pump, (housing, 1))
    stock_receive(item=housing, location=receiving, quantity=5, user=None)
    work_order = work_order_create(item=pump, quantity=2, due_date=datetime.date.today(), user=None)
    work_order_start(work_order=work_order_release(work_order=work_order, user=None), user=None)
    operator = signed_in_as(acme_client, acme, "operator")
    response = operator.post(f"/production/work-orders/{work_order.pk}/complete/", {"quantity": "1,5"})
    assert response.status_code == 400
    page = response.content.decode()
    form = page[page.index('class="action-complete"') :]
    form = form[: form.index("</form>")]
    assert 'value="1,5"' in form and "use a dot for decimals" in form
    work_order.refresh_from_db()
    assert work_order.completed_quantity == 0


def test_the_tree_says_why_it_did_not_explode_2_comma_5(web, parts, make_bom):
    pump, housing, _ = parts
    make_bom(pump, (housing, 1))
    page = web.get(f"/production/items/{pump.pk}/tree/", {"quantity": "2,5"}).content.decode()
    assert 'value="2,5"' in page and "use a dot for decimals" in page and 'type="number"' not in page
