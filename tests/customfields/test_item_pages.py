"""Items' custom fields in the pages: the item form, the list's columns and filters, and CSV export -> import."""

import pytest
from django_tenants.utils import tenant_context

from inventory.models import Item, ItemImport
from inventory.services import item_import_run
from tests.customfields.conftest import define
from tests.inventory.factories import ItemFactory, UnitFactory
from tests.web_roles import signed_in_as


@pytest.fixture
def planner(acme, acme_client):
    return signed_in_as(acme_client, acme, "planner")


def item_data(**custom) -> dict:
    return {"sku": "BOLT-10", "name": "Bolt", "description": "", "uom": UnitFactory().pk, "kind": "component",
            "reorder_point": "0", "reorder_quantity": "0", "lead_time_days": "0", "standard_cost": "0",
            "is_active": "on", "tracking": "none", "procurement": "buy", "lot_sizing": "lot_for_lot",
            "lot_quantity": "0", "lot_minimum": "0", "lot_multiple": "0", "lot_period_days": "0", "safety_stock": "0",
            **custom}  # fmt: skip


def test_the_item_form_offers_a_field_per_definition_filled_from_the_item(planner, item_fields, in_acme):
    item = ItemFactory(attributes={"colour": "blue", "hazardous": True, "certified_on": "2026-01-31"})
    page = planner.get(f"/inventory/items/{item.pk}/edit/").content.decode()
    assert '<option value="blue" selected>' in page
    assert '<option value="yes" selected>' in page
    assert 'value="2026-01-31"' in page


def test_the_item_form_saves_each_type(planner, item_fields, in_acme):
    data = item_data(cf_colour="red", cf_weight_kg="2.50", cf_certified_on="2026-11-30", cf_hazardous="no",
                     cf_note="ok")  # fmt: skip
    response = planner.post("/inventory/items/new/", data)
    assert response.status_code == 302, response.context["form"].errors
    assert Item.objects.get(sku="BOLT-10").attributes == {
        "colour": "red",
        "weight_kg": "2.5",
        "certified_on": "2026-11-30",
        "hazardous": False,
        "note": "ok",
    }


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("cf_colour", "green"),
        ("cf_weight_kg", "-2"),
        ("cf_certified_on", "31.12.2026"),
        ("cf_hazardous", "maybe"),
        ("cf_note", "x" * 11),
    ],
)
def test_the_item_form_says_a_refused_value_by_its_field(planner, item_fields, in_acme, field, value):
    response = planner.post("/inventory/items/new/", item_data(**{field: value}))
    assert response.status_code == 400
    assert list(response.context["form"].errors) == [field]
    assert not Item.objects.exists()


def test_the_item_form_says_a_required_field_is_missing(planner, in_acme):
    define(key="grade", required=True)
    response = planner.post("/inventory/items/new/", item_data())
    assert response.context["form"].errors["cf_grade"]
    assert not Item.objects.exists()


def test_the_edit_form_blank_removes_a_value(planner, item_fields, in_acme):
    item = ItemFactory(sku="BOLT-10", attributes={"colour": "red", "note": "old"})
    response = planner.post(f"/inventory/items/{item.pk}/edit/", item_data(cf_colour="red", cf_note=""))
    assert response.status_code == 302
    item.refresh_from_db()
    assert item.attributes == {"colour": "red"}


def test_the_list_shows_custom_columns_and_filters_by_them(planner, in_acme):
    define(key="colour", field_type="choice", choices=["red", "blue"], show_in_list=True)
    define(key="secret", show_in_list=False)
    ItemFactory(sku="RED-1", attributes={"colour": "red", "secret": "s3"})
    ItemFactory(sku="BLUE-1", attributes={"colour": "blue"})
    response = planner.get("/inventory/", {"cf_colour": "red"})
    page = response.content.decode()
    assert [item.sku for item in response.context["page"].object_list] == ["RED-1"]
    assert '<th scope="col">Colour</th>' in page and "s3" not in page
    assert 'name="cf_colour"' in page


def test_a_list_filter_its_type_refuses_is_said_by_its_box_and_lists_nothing(planner, in_acme):
    define(key="weight_kg", field_type="number", show_in_list=True)
    ItemFactory(sku="A", attributes={"weight_kg": "1"})
    response = planner.get("/inventory/", {"cf_weight_kg": "heavy"})
    assert response.status_code == 400  # as every refused list filter
    assert response.context["custom_filters"].errors["cf_weight_kg"]
    assert list(response.context["page"].object_list) == []


def test_the_csv_export_lists_the_filtered_items_with_a_column_per_custom_field(planner, item_fields, in_acme):
    ItemFactory(sku="RED-1", name="=cmd()", attributes={"colour": "red", "hazardous": True, "weight_kg": "-1.5"})
    ItemFactory(sku="BLUE-1", attributes={"colour": "blue"})
    response = planner.get("/inventory/items/export.csv", {"cf_colour": "red"})
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    lines = b"".join(response.streaming_content).decode().splitlines()
    assert lines[0].endswith(",active,cf_certified_on,cf_colour,cf_hazardous,cf_note,cf_weight_kg")  # form order
    assert len(lines) == 2
    assert lines[1].startswith("RED-1,'=cmd(),pcs,") and lines[1].endswith(",,red,yes,,-1.5")


def test_exported_items_import_back_unchanged(planner, item_fields, in_acme):
    values = {"colour": "red", "weight_kg": "12.5", "certified_on": "2026-11-30", "hazardous": False, "note": "-x"}
    ItemFactory(sku="RED-1", name="@home", attributes=values)
    ItemFactory(sku="PLAIN-1", attributes={})
    before = {item.sku: (item.name, item.attributes) for item in Item.objects.all()}
    text = b"".join(planner.get("/inventory/items/export.csv").streaming_content).decode()
    Item.objects.all().delete()
    job = item_import_run(job_id=ItemImport.objects.create(file_name="items.csv", content=text, total_rows=2).pk)
    assert job.errors == [] and job.created_count == 2
    assert {item.sku: (item.name, item.attributes) for item in Item.objects.all()} == before


def test_an_import_with_a_bad_custom_value_reports_the_row(in_acme, item_fields):
    text = "sku,name,uom,cf_colour,cf_weight_kg\nA,A,pcs,green,1\nB,B,pcs,red,1e3\nC,C,pcs,red,2\n"
    UnitFactory(code="pcs")
    job = item_import_run(job_id=ItemImport.objects.create(file_name="x.csv", content=text, total_rows=3).pk)
    assert [(e["line"], e["reason"].split(":")[0]) for e in job.errors] == [(2, "colour"), (3, "weight_kg")]
    assert list(Item.objects.values_list("sku", flat=True)) == ["C"]


def test_an_import_naming_an_undefined_custom_field_is_refused_as_a_whole(in_acme, item_fields):
    text = "sku,name,uom,cf_grade\nA,A,pcs,1\n"
    job = item_import_run(job_id=ItemImport.objects.create(file_name="x.csv", content=text, total_rows=1).pk)
    assert job.status == ItemImport.Status.FAILED and "cf_grade" in job.failure


def test_globex_lists_and_exports_without_acme_columns(globex, globex_client, item_fields):
    with tenant_context(globex):
        client = signed_in_as(globex_client, globex, "planner")
    assert client.get("/inventory/", {"cf_colour": "red"}).context["custom_filters"].errors
    header = b"".join(client.get("/inventory/items/export.csv").streaming_content).decode().splitlines()[0]
    assert "cf_" not in header
