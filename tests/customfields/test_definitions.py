"""Definitions: the services (rules, audit, delete clears values), the admin-only pages, the tenant admin, and
isolation between tenants."""

import pytest
from django.contrib.auth import get_user_model
from django_tenants.utils import tenant_context

from audit.models import AuditEntry
from core.errors import DomainError
from customfields.models import CustomField
from customfields.services import custom_field_create, custom_field_delete, custom_field_update
from inventory.models import Item
from tests.customfields.conftest import define
from tests.inventory.factories import ItemFactory
from tests.web_roles import signed_in_as


@pytest.fixture
def boss(in_acme):
    return get_user_model().objects.get(username="boss")


@pytest.fixture
def admin_client(acme, acme_client):
    with tenant_context(acme):
        acme_client.force_login(get_user_model().objects.get(username="boss"))
    return acme_client


def test_a_definition_is_created_and_audited(boss):
    field = custom_field_create(entity="item", key="colour", label="Colour", user=boss, field_type="choice",
                                choices=["red", "blue"])  # fmt: skip
    assert AuditEntry.objects.filter(action="customfields.custom_field_create", object_id=str(field.pk)).exists()


@pytest.mark.parametrize("key", ["Colour", "1st", "with space", "x" * 41, ""])
def test_a_key_that_is_not_lowercase_letters_digits_and_underscores_is_refused(boss, key):
    with pytest.raises(Exception) as caught:
        custom_field_create(entity="item", key=key, label="X", user=boss)
    assert "key" in str(caught.value)
    assert not CustomField.objects.exists()


def test_a_choice_field_needs_choices(boss):
    with pytest.raises(DomainError) as caught:
        custom_field_create(entity="item", key="colour", label="Colour", user=boss, field_type="choice")
    assert caught.value.field == "choices"


def test_the_same_key_twice_for_one_entity_is_refused_but_another_entity_may_have_it(boss):
    custom_field_create(entity="item", key="colour", label="Colour", user=boss)
    with pytest.raises(Exception, match="already has a custom field with this key"):
        custom_field_create(entity="item", key="colour", label="Colour", user=boss)
    custom_field_create(entity="partner", key="colour", label="Colour", user=boss)


def test_the_type_of_a_definition_cannot_change(boss):
    field = custom_field_create(entity="item", key="colour", label="Colour", user=boss)
    with pytest.raises(DomainError) as caught:
        custom_field_update(custom_field=field, user=boss, field_type="number")
    assert caught.value.field == "field_type"


def test_deleting_a_definition_removes_its_values_from_every_record(boss):
    field = define(key="colour")
    define(key="grade")
    ItemFactory(sku="A", attributes={"colour": "red", "grade": "1"})
    ItemFactory(sku="B", attributes={"grade": "2"})
    assert custom_field_delete(custom_field=field, user=boss) == 1
    assert dict(Item.objects.values_list("sku", "attributes")) == {"A": {"grade": "1"}, "B": {"grade": "2"}}
    assert AuditEntry.objects.filter(action="customfields.custom_field_delete").exists()


def test_the_admin_page_creates_a_definition(admin_client, in_acme):
    data = {"entity": "item", "key": "colour", "label": "Colour", "field_type": "choice", "choices": "red\nblue",
            "max_length": "200", "position": "0", "show_in_list": "on"}  # fmt: skip
    response = admin_client.post("/custom-fields/new/", data)
    assert response.status_code == 302, response.context["form"].errors
    field = CustomField.objects.get(key="colour")
    assert (field.choices, field.show_in_list) == (["red", "blue"], True)
    assert "Colour" in admin_client.get("/custom-fields/").content.decode()


def test_the_admin_page_says_a_bad_key_by_its_field(admin_client, in_acme):
    data = {"entity": "item", "key": "Bad Key", "label": "X", "field_type": "text", "max_length": "200",
            "position": "0"}  # fmt: skip
    response = admin_client.post("/custom-fields/new/", data)
    assert response.status_code == 400
    assert response.context["form"].errors["key"]


def test_the_admin_page_deletes_a_definition_only_when_confirmed(admin_client, in_acme):
    field = define(key="colour")
    admin_client.post(f"/custom-fields/{field.pk}/delete/", {})
    assert CustomField.objects.filter(pk=field.pk).exists()
    admin_client.post(f"/custom-fields/{field.pk}/delete/", {"confirm": "yes"})
    assert not CustomField.objects.filter(pk=field.pk).exists()


@pytest.mark.parametrize("role", ["planner", "read-only"])
def test_the_pages_are_for_tenant_admins_only(acme, acme_client, role, in_acme):
    client = signed_in_as(acme_client, acme, role)
    assert client.get("/custom-fields/").status_code == 403
    assert client.post("/custom-fields/new/", {"entity": "item", "key": "x", "label": "X"}).status_code == 403
    assert not CustomField.objects.exists()


def test_the_django_admin_creates_a_definition_through_the_service(admin_client, in_acme):
    data = {"entity": "partner", "key": "region", "label": "Region", "field_type": "text", "choices": "[]",
            "max_length": "200", "help_text": "", "position": "0"}  # fmt: skip
    response = admin_client.post("/admin/customfields/customfield/add/", data)
    assert response.status_code == 302
    assert AuditEntry.objects.filter(action="customfields.custom_field_create").exists()


def test_a_definition_of_acme_does_not_exist_in_globex_nor_on_its_pages(acme, globex, globex_client, in_acme):
    field = define(key="colour")
    with tenant_context(globex):
        assert not CustomField.objects.filter(key="colour").exists()
        globex_client.force_login(get_user_model().objects.get(username="boss"))
    assert "colour" not in globex_client.get("/custom-fields/").content.decode()
    assert globex_client.get(f"/custom-fields/{field.pk}/edit/").status_code == 404


def admin_item_data(item, attributes: str) -> dict:
    return {"sku": item.sku, "name": item.name, "uom": item.uom_id, "kind": "component", "reorder_point": "0",
            "reorder_quantity": "0", "lead_time_days": "0", "standard_cost": "0", "is_active": "on",
            "attributes": attributes, "tracking": "none", "procurement": "buy", "lot_sizing": "lot_for_lot",
            "lot_quantity": "0", "lot_minimum": "0", "lot_multiple": "0", "lot_period_days": "0",
            "safety_stock": "0"}  # fmt: skip


def test_the_item_admin_json_box_is_the_whole_set_of_values(admin_client, in_acme):
    define(key="colour")
    define(key="grade")
    item = ItemFactory(attributes={"colour": "red", "grade": "1"})
    response = admin_client.post(f"/admin/inventory/item/{item.pk}/change/", admin_item_data(item, '{"grade": "2"}'))
    assert response.status_code == 302
    item.refresh_from_db()
    assert item.attributes == {"grade": "2"}


def test_the_item_admin_says_an_unknown_key_on_the_form(admin_client, in_acme):
    item = ItemFactory(attributes={})
    response = admin_client.post(f"/admin/inventory/item/{item.pk}/change/", admin_item_data(item, '{"x": "1"}'))
    assert response.status_code == 200
    assert "is not a custom field of items" in response.content.decode()
