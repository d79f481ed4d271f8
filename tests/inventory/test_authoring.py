"""Creating and editing items and locations in the pages (master data): through the services, errors by their
field with what was typed kept, 403 for a read-only user, the item picker, and isolation between tenants."""

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django_tenants.utils import tenant_context

from audit.models import AuditEntry
from customfields.models import CustomField
from inventory.models import Item, Location
from tests.inventory.factories import ItemFactory, LocationFactory, UnitFactory
from tests.web_roles import signed_in_as


@pytest.fixture
def planner(acme, acme_client):
    return signed_in_as(acme_client, acme, "planner")


@pytest.fixture
def viewer(acme, acme_client):
    return signed_in_as(acme_client, acme, "read-only")


def item_data(**overrides) -> dict:
    data = {
        "sku": "BOLT-10",
        "name": "Bolt M10",
        "description": "",
        "uom": UnitFactory().pk,
        "kind": "component",
        "procurement": "buy",
        "reorder_point": "10",
        "reorder_quantity": "50",
        "lead_time_days": "3",
        "standard_cost": "0.25",
        "is_active": "on",
        "cf_finish": "zinc",
        "tracking": "none",
        "lot_sizing": "lot_for_lot",
        "lot_quantity": "0",
        "lot_minimum": "0",
        "lot_multiple": "0",
        "lot_period_days": "0",
        "safety_stock": "5",
    }
    return {**data, **overrides}


@pytest.fixture(autouse=True)
def finish(request):
    """A custom field of items, shown on the item form as cf_finish."""
    if "in_acme" in request.fixturenames:
        request.getfixturevalue("in_acme")
        CustomField.objects.create(entity="item", key="finish", label="Finish")


def test_planner_creates_an_item_through_the_service(planner, in_acme):
    response = planner.post("/inventory/items/new/", item_data())
    item = Item.objects.get(sku="BOLT-10")
    assert (item.procurement, item.tracking, item.safety_stock) == ("buy", "none", 5)
    assert response.status_code == 302 and response["Location"] == f"/inventory/items/{item.pk}/"
    assert (item.reorder_point, item.standard_cost) == (Decimal(10), Decimal("0.25"))
    assert item.attributes == {"finish": "zinc"}
    assert AuditEntry.objects.filter(action="inventory.item_create").count() == 1


def test_the_item_form_sets_make_or_buy_and_the_edit_form_starts_from_it(planner, in_acme):
    response = planner.post("/inventory/items/new/", item_data(procurement="make"))
    item = Item.objects.get(sku="BOLT-10")
    assert response.status_code == 302 and item.procurement == Item.Procurement.MAKE
    page = planner.get(f"/inventory/items/{item.pk}/edit/").content.decode()
    assert '<option value="make" selected>' in page


def test_the_item_form_refuses_an_unknown_procurement_by_its_field(planner, in_acme):
    response = planner.post("/inventory/items/new/", item_data(procurement="steal"))
    assert response.status_code == 400
    assert "steal is not one of the available choices" in response.content.decode()
    assert not Item.objects.filter(sku="BOLT-10").exists()


def test_planner_edits_an_item_and_the_form_starts_from_its_values(planner, in_acme):
    item = ItemFactory(sku="BOLT-10", reorder_point=Decimal("12.5"))
    page = planner.get(f"/inventory/items/{item.pk}/edit/").content.decode()
    assert 'value="BOLT-10"' in page and 'value="12.5"' in page
    response = planner.post(f"/inventory/items/{item.pk}/edit/", item_data(name="Bolt M10 zinc", sku="BOLT-10"))
    assert response.status_code == 302
    item.refresh_from_db()
    assert item.name == "Bolt M10 zinc"
    assert AuditEntry.objects.filter(action="inventory.item_update").exists()


def test_item_with_a_sku_differing_only_in_case_is_refused_by_the_sku_field(planner, in_acme):
    ItemFactory(sku="BOLT-10")
    response = planner.post("/inventory/items/new/", item_data(sku="bolt-10", name="Twin"))
    assert response.status_code == 400
    form = response.context["form"]
    assert "ignoring letter case" in form.errors["sku"][0]
    assert not Item.objects.filter(name="Twin").exists()


def test_item_form_with_a_comma_decimal_says_use_a_dot_keeps_the_text_and_writes_nothing(planner, in_acme):
    response = planner.post("/inventory/items/new/", item_data(reorder_point="2,5"))
    assert response.status_code == 400
    assert "use a dot for decimals, e.g. 2.5" in response.context["form"].errors["reorder_point"][0]
    assert 'value="2,5"' in response.content.decode()
    assert not Item.objects.exists()


def test_item_form_with_letters_for_a_number_says_enter_a_number(planner, in_acme):
    response = planner.post("/inventory/items/new/", item_data(standard_cost="abc"))
    assert response.context["form"].errors["standard_cost"] == ["Enter a number."]
    assert 'value="abc"' in response.content.decode()
    assert not Item.objects.exists()


def test_item_form_refuses_a_custom_value_its_type_refuses_by_its_field(planner, in_acme):
    CustomField.objects.create(entity="item", key="teeth", label="Teeth", field_type=CustomField.Type.NUMBER)
    response = planner.post("/inventory/items/new/", item_data(cf_teeth="2,5"))
    assert response.status_code == 400
    assert "use a dot for decimals" in response.context["form"].errors["cf_teeth"][0]
    assert 'value="2,5"' in response.content.decode()
    assert not Item.objects.exists()


def test_numbers_are_text_inputs_so_the_browser_never_rewrites_them(planner, in_acme):
    page = planner.get("/inventory/items/new/").content.decode()
    assert 'type="number"' not in page
    assert 'inputmode="decimal"' in page


def test_read_only_user_gets_403_on_the_item_and_location_pages(viewer, in_acme):
    item, location = ItemFactory(), LocationFactory()
    for url in (
        "/inventory/items/new/",
        f"/inventory/items/{item.pk}/edit/",
        "/inventory/locations/new/",
        f"/inventory/locations/{location.pk}/edit/",
    ):
        assert viewer.get(url).status_code == 403, url
    assert viewer.post("/inventory/items/new/", item_data()).status_code == 403
    assert not Item.objects.filter(sku="BOLT-10").exists()


def test_operator_gets_403_on_the_item_form(acme, acme_client, in_acme):
    operator = signed_in_as(acme_client, acme, "operator")
    assert operator.get("/inventory/items/new/").status_code == 403


def test_planner_creates_a_bin_inside_a_warehouse(planner, in_acme):
    warehouse = LocationFactory(code="WH1", kind="warehouse")
    page = planner.get(f"/inventory/locations/new/?parent={warehouse.pk}").content.decode()
    assert f'<option value="{warehouse.pk}" selected>' in page
    response = planner.post(
        "/inventory/locations/new/", {"code": "WH1-A", "name": "Aisle A", "kind": "bin", "parent": warehouse.pk}
    )
    assert response.status_code == 302
    bin_ = Location.objects.get(code="WH1-A")
    assert bin_.parent == warehouse and not bin_.is_active  # an unticked box is "inactive", as in any HTML form


def test_location_cannot_be_moved_inside_itself_and_the_message_is_by_the_parent(planner, in_acme):
    outer = LocationFactory(code="WH1")
    inner = LocationFactory(code="WH1-A", parent=outer)
    data = {"code": "WH1", "name": "Warehouse", "kind": "warehouse", "parent": inner.pk, "is_active": "on"}
    response = planner.post(f"/inventory/locations/{outer.pk}/edit/", data)
    assert response.status_code == 400
    assert "inside it" in response.context["form"].errors["parent"][0]
    outer.refresh_from_db()
    assert outer.parent is None


def test_location_list_offers_edit_and_add_inside_to_a_planner(planner, in_acme):
    location = LocationFactory(code="WH1")
    page = planner.get("/inventory/locations/").content.decode()
    assert f"/inventory/locations/{location.pk}/edit/" in page
    assert f"/inventory/locations/new/?parent={location.pk}" in page


def test_item_picker_matches_sku_prefix_in_any_case_and_name(planner, in_acme):
    ItemFactory(sku="BOLT-10", name="Bolt M10")
    ItemFactory(sku="NUT-10", name="Nut for bolts")
    ItemFactory(sku="WASHER", name="Washer")
    ItemFactory(sku="BOLT-OLD", name="Old bolt", is_active=False)
    page = planner.get("/inventory/items/pick/", {"field": "lines-0-item", "lines-0-item": "bolt"}).content.decode()
    assert '<option value="BOLT-10">' in page and '<option value="NUT-10">' in page
    assert "WASHER" not in page and "BOLT-OLD" not in page
    assert page.index("BOLT-10") < page.index("NUT-10")  # SKU matches first


def test_item_picker_answers_in_two_queries_after_sign_in(planner, in_acme):
    for n in range(30):
        ItemFactory(sku=f"P-{n:03d}")
    planner.get("/inventory/items/pick/", {"q": "p"})
    with CaptureQueriesContext(connection) as queries:
        page = planner.get("/inventory/items/pick/", {"q": "p"}).content.decode()
    assert page.count("<option") == 10
    # session + user, then the items (the name query is not needed when 10 SKUs match)
    assert len(queries) <= 4, [q["sql"] for q in queries]


def test_item_picker_of_another_tenant_does_not_show_this_tenants_items(acme, globex, globex_client):
    with tenant_context(acme):
        ItemFactory(sku="ACME-SECRET")
    globex_planner = signed_in_as(globex_client, globex, "planner")
    page = globex_planner.get("/inventory/items/pick/", {"q": "acme"}).content.decode()
    assert "ACME-SECRET" not in page


def test_another_tenants_host_cannot_open_this_tenants_item_edit_page(acme, globex, globex_client):
    with tenant_context(acme):
        item = ItemFactory(sku="ACME-ONLY")
        for _ in range(3):
            ItemFactory()  # acme's ids run ahead of globex's
        item_id = Item.objects.order_by("-pk").first().pk
    globex_planner = signed_in_as(globex_client, globex, "planner")
    assert globex_planner.get(f"/inventory/items/{item_id}/edit/").status_code == 404
    assert "ACME-ONLY" not in globex_planner.get(f"/inventory/items/{item.pk}/edit/").content.decode()


def test_item_edit_page_query_count_is_pinned(planner, in_acme):
    item = ItemFactory()
    UnitFactory(code="kg", name="Kilogram")
    planner.get(f"/inventory/items/{item.pk}/edit/")
    with CaptureQueriesContext(connection) as queries:
        assert planner.get(f"/inventory/items/{item.pk}/edit/").status_code == 200
    assert len(queries) <= 6, [q["sql"] for q in queries]


# --- Confirmations ---------------------------------------------------------------------------------------------------
def test_reverse_asks_to_confirm_and_says_what_will_move(acme, acme_client, in_acme):
    from inventory.models import StockLevel
    from inventory.services import stock_receive

    operator = signed_in_as(acme_client, acme, "operator")
    item, a1 = ItemFactory(sku="BOLT-10"), LocationFactory(code="A1")
    move = stock_receive(item=item, location=a1, quantity=3, user=None)
    page = operator.get(f"/inventory/moves/{move.pk}/reverse/").content.decode()
    assert "3 leave A1" in page and "cannot be undone" in page
    response = operator.post(f"/inventory/moves/{move.pk}/reverse/", {"reference": "typo"})
    assert response.status_code == 400
    assert "tick the box to confirm" in response.context["form"].errors["confirm"][0]
    assert 'value="typo"' in response.content.decode()
    assert StockLevel.objects.get(item=item, location=a1).on_hand == Decimal(3)


def test_the_parent_choice_lists_locations_as_a_tree_without_the_location_itself(planner, in_acme):
    hall = LocationFactory(code="HALL", kind="warehouse")
    shelf = LocationFactory(code="HALL-S1", parent=hall)
    LocationFactory(code="AAA")
    page = planner.get(f"/inventory/locations/{hall.pk}/edit/").content.decode()
    options = page[page.index('name="parent"') : page.index("</select>", page.index('name="parent"'))]
    assert f'<option value="{shelf.pk}">\u2003HALL-S1</option>' in options
    assert f'value="{hall.pk}"' not in options
    new_page = planner.get("/inventory/locations/new/").content.decode()
    assert new_page.index(">HALL<") < new_page.index("\u2003HALL-S1<")


def test_planner_sets_make_and_a_fixed_lot_size_on_the_item_form(planner, in_acme):
    data = item_data(procurement="make", lot_sizing="fixed", lot_quantity="25", tracking="lot")
    assert planner.post("/inventory/items/new/", data).status_code == 302
    item = Item.objects.get(sku="BOLT-10")
    assert (item.procurement, item.lot_sizing, item.lot_quantity, item.tracking) == ("make", "fixed", 25, "lot")


def test_a_lot_size_beyond_ten_years_of_supply_is_an_error_by_its_field(planner, in_acme):
    response = planner.post("/inventory/items/new/", item_data(lot_sizing="periods", lot_period_days="99999"))
    assert response.status_code == 400
    assert "lot_period_days" in response.context["form"].errors
    assert not Item.objects.filter(sku="BOLT-10").exists()
