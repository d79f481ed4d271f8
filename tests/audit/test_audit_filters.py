"""The audit log page filters by readable names: users by username and full name, actions and kinds of record by
label; a value the log does not hold stays selected and finds nothing."""

import pytest
from django.contrib.auth import get_user_model
from django_tenants.utils import tenant_context

from audit.selectors import action_label, object_type_label
from inventory import services as inventory_services
from tests.inventory.factories import ItemFactory, UnitFactory


@pytest.fixture
def boss(in_acme):
    boss = get_user_model().objects.get(username="boss")
    boss.first_name, boss.last_name = "Bea", "Boss"
    boss.save()
    return boss


@pytest.fixture
def admin(acme, acme_client, boss):
    with tenant_context(acme):
        acme_client.force_login(boss)
    return acme_client


def test_labels_read_as_words():
    assert action_label("inventory.item_update") == "Inventory: item update"
    assert object_type_label("inventory.item").endswith(": item")
    assert object_type_label("nowhere.thing") == "nowhere.thing"


def test_filters_offer_users_actions_and_kinds_by_name(admin, boss):
    inventory_services.item_create(sku="AUD-1", name="Audited", uom=UnitFactory(code="ea"), user=boss)
    page = admin.get("/audit/").content.decode()
    assert '<option value="boss">boss (Bea Boss)</option>' in page
    assert '<option value="inventory.item_create">Inventory: item create</option>' in page
    assert 'value="inventory.item"' in page
    assert '<label for="audit-user">User</label>' in page


def test_filtering_by_a_chosen_action_lists_only_those_entries(admin, boss):
    inventory_services.item_create(sku="AUD-2", name="Audited", uom=UnitFactory(code="ea"), user=boss)
    ItemFactory(sku="UNAUDITED")
    response = admin.get("/audit/", {"action": "inventory.item_create", "user": "boss"})
    actions = {entry.action for entry in response.context["page"].object_list}
    assert actions == {"inventory.item_create"}
    assert '<option value="inventory.item_create" selected>' in response.content.decode()


def test_an_unknown_user_stays_selected_and_finds_nothing(admin, boss):
    response = admin.get("/audit/", {"user": "nobody"})
    assert response.status_code == 200
    assert not response.context["page"].object_list
    assert '<option value="nobody" selected>nobody (no entries)</option>' in response.content.decode()


def test_another_tenants_users_are_not_offered(admin, globex):
    with tenant_context(globex):
        other = get_user_model().objects.get(username="boss")
        inventory_services.item_create(sku="GLX-1", name="G", uom=UnitFactory(code="gx"), user=other)
        other_user = get_user_model().objects.create(username="globex-auditor")
        inventory_services.item_create(sku="GLX-2", name="G", uom=UnitFactory(code="gy"), user=other_user)
    assert "globex-auditor" not in admin.get("/audit/").content.decode()
