"""Items' custom fields in the API: `custom_fields` in and out, 400s naming the key, `?cf_<key>=` filters (served by
the GIN index), and tenant isolation."""

import pytest
from django.db import connection
from django_tenants.utils import schema_context, tenant_context

from customfields.models import CustomField
from inventory import selectors
from inventory.models import Item
from tests.customfields.conftest import define
from tests.inventory.factories import ItemFactory, UnitFactory


def create(client, **custom):
    payload = {"sku": "GEAR-1", "name": "Gear", "uom": "pcs", **custom}
    return client.post("/api/v1/items/", payload, content_type="application/json")


@pytest.fixture
def pcs(in_acme):
    return UnitFactory(code="pcs")


def test_an_item_is_created_with_its_custom_values_stored_by_type(acme_api, item_fields, pcs):
    response = create(acme_api, custom_fields={"colour": "red", "weight_kg": 12.50, "hazardous": "no"})
    assert response.status_code == 201, response.json()
    assert response.json()["custom_fields"] == {"colour": "red", "weight_kg": "12.5", "hazardous": False}
    assert Item.objects.get(sku="GEAR-1").attributes == {"colour": "red", "weight_kg": "12.5", "hazardous": False}


@pytest.mark.parametrize(
    ("key", "value"),
    [("colour", "green"), ("weight_kg", "heavy"), ("certified_on", "30.11.2026"), ("hazardous", "maybe"), ("note", 7)],
)
def test_a_value_its_type_refuses_is_a_400_on_the_key(acme_api, item_fields, pcs, key, value):
    response = create(acme_api, custom_fields={key: value})
    assert response.status_code == 400
    assert list(response.json()["custom_fields"]) == [key]
    assert not Item.objects.filter(sku="GEAR-1").exists()


def test_an_unknown_key_is_a_400_on_the_key(acme_api, item_fields, pcs):
    response = create(acme_api, custom_fields={"grade": "8.8"})
    assert response.status_code == 400
    assert "is not a custom field of items" in response.json()["custom_fields"]["grade"][0]


def test_a_required_field_left_out_of_a_new_item_is_a_400(acme_api, pcs, in_acme):
    define(key="grade", required=True)
    response = create(acme_api)
    assert response.status_code == 400
    assert response.json() == {"custom_fields": {"grade": ["Grade is required"]}}


def test_custom_fields_that_are_not_an_object_are_a_400(acme_api, item_fields, pcs):
    response = create(acme_api, custom_fields=["red"])
    assert response.status_code == 400
    assert "custom_fields" in response.json()


def test_a_patch_changes_the_keys_given_and_null_removes_one(acme_api, item_fields, pcs):
    item = ItemFactory(attributes={"colour": "red", "note": "old"})
    response = acme_api.patch(
        f"/api/v1/items/{item.pk}/",
        {"custom_fields": {"note": None, "hazardous": True}},
        content_type="application/json",
    )
    assert response.status_code == 200, response.json()
    item.refresh_from_db()
    assert item.attributes == {"colour": "red", "hazardous": True}


def test_a_patch_without_custom_fields_leaves_them_alone_even_when_a_required_one_is_missing(acme_api, pcs, in_acme):
    item = ItemFactory(attributes={})
    define(key="grade", required=True)
    response = acme_api.patch(f"/api/v1/items/{item.pk}/", {"name": "New"}, content_type="application/json")
    assert response.status_code == 200, response.json()


def test_the_list_filters_by_custom_values(acme_api, item_fields, pcs):
    ItemFactory(sku="RED-HEAVY", attributes={"colour": "red", "weight_kg": "12.5"})
    ItemFactory(sku="RED-LIGHT", attributes={"colour": "red", "weight_kg": "1"})
    ItemFactory(sku="BLUE", attributes={"colour": "blue", "weight_kg": "12.5"})
    ItemFactory(sku="NONE")
    body = acme_api.get("/api/v1/items/", {"cf_colour": "red"}).json()
    assert [row["sku"] for row in body["results"]] == ["RED-HEAVY", "RED-LIGHT"]
    body = acme_api.get("/api/v1/items/", {"cf_colour": "red", "cf_weight_kg": "12.50"}).json()
    assert [row["sku"] for row in body["results"]] == ["RED-HEAVY"]


def test_a_yes_no_filter_matches_false_values(acme_api, item_fields, pcs):
    ItemFactory(sku="SAFE", attributes={"hazardous": False})
    ItemFactory(sku="UNSET")
    body = acme_api.get("/api/v1/items/", {"cf_hazardous": "no"}).json()
    assert [row["sku"] for row in body["results"]] == ["SAFE"]


def test_a_filter_on_an_undefined_key_or_a_bad_value_is_a_400_on_the_parameter(acme_api, item_fields, pcs):
    response = acme_api.get("/api/v1/items/", {"cf_grade": "1"})
    assert response.status_code == 400
    assert "cf_grade" in response.json()
    response = acme_api.get("/api/v1/items/", {"cf_weight_kg": "heavy"})
    assert response.status_code == 400
    assert "cf_weight_kg" in response.json()


def test_the_filter_uses_the_gin_index(in_acme, item_fields, pcs):
    """5,000 items, ANALYZEd, no planner setting changed: the containment filter is answered from the index."""
    Item.objects.bulk_create(
        Item(sku=f"P-{n:05d}", name=f"Part {n}", uom=pcs, attributes={"colour": "red" if n % 500 == 0 else "blue"})
        for n in range(5000)
    )
    with schema_context(in_acme.schema_name), connection.cursor() as cursor:
        cursor.execute("ANALYZE inventory_item")  # as the owner: the tenant's role may not analyze its tables
    query = selectors.items_with_custom_values(Item.objects.all(), {"cf_colour": "red"})
    plan = query.explain()
    assert "inventory_item_attrs_gin" in plan, plan
    assert query.count() == 10


def test_the_schema_documents_custom_fields(acme_api):
    schema = acme_api.get("/api/schema/", {"format": "json"}).json()
    prop = schema["components"]["schemas"]["Item"]["properties"]["custom_fields"]
    assert prop["type"] == "object"
    assert "Custom-field values by key" in prop["description"]
    assert "cf_<key>" in schema["paths"]["/api/v1/items/"]["get"]["description"]


def test_another_tenant_refuses_a_key_defined_in_acme(globex_api, item_fields, globex):
    with tenant_context(globex):
        assert not CustomField.objects.filter(key="colour").exists()
        UnitFactory(code="pcs")
    response = create(globex_api, custom_fields={"colour": "red"})
    assert response.status_code == 400
    assert "colour" in response.json()["custom_fields"]
    assert globex_api.get("/api/v1/items/", {"cf_colour": "red"}).status_code == 400
