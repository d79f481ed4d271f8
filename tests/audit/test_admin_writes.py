"""Writes made in the tenant's Django admin go through the services: each leaves an audit entry naming the signed-in
admin, and a rule a service refuses is a form error (or a message), never a 500 and never half-written."""

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

from audit.models import AuditEntry
from inventory.models import Item, Location, UnitOfMeasure
from orders.models import Partner
from tests.inventory.factories import ItemFactory, LocationFactory, UnitFactory, UserFactory

User = get_user_model()


@pytest.fixture
def boss(in_acme):
    return User.objects.get(username="boss")


@pytest.fixture
def admin(acme, acme_client, boss):
    acme_client.force_login(boss)
    return acme_client


def latest(action: str) -> AuditEntry:
    return AuditEntry.objects.filter(action=action).latest("id")


def assert_by_boss(entry: AuditEntry, boss) -> None:
    assert (entry.tenant, entry.user_id, entry.username) == ("acme", boss.pk, "boss")


def _item_form(**overrides) -> dict:
    return {
        "sku": "ADM-1",
        "name": "Admin item",
        "uom": UnitOfMeasure.objects.get(code="pcs").pk,
        "kind": "component",
        "description": "",
        "reorder_point": "0",
        "reorder_quantity": "0",
        "lead_time_days": "0",
        "standard_cost": "0",
        "is_active": "on",
        "attributes": "{}",
        "tracking": "none",
        "procurement": "buy",
        "lot_sizing": "lot_for_lot",
        "lot_quantity": "0",
        "lot_minimum": "0",
        "lot_multiple": "0",
        "lot_period_days": "0",
        "safety_stock": "0",
        **overrides,
    }


# --- Inventory master data -----------------------------------------------------------------------------------------
def test_a_unit_added_changed_and_deleted_in_the_admin_is_audited(admin, boss):
    form = {"code": "box", "name": "Box", "decimals": "2"}
    assert admin.post("/admin/inventory/unitofmeasure/add/", form).status_code == 302
    unit = UnitOfMeasure.objects.get(code="box")
    assert_by_boss(latest("inventory.unit_create"), boss)
    response = admin.post(f"/admin/inventory/unitofmeasure/{unit.pk}/change/", {**form, "name": "Boxes"})
    assert response.status_code == 302
    entry = latest("inventory.unit_update")
    assert_by_boss(entry, boss)
    assert entry.changes == {"name": ["Box", "Boxes"]}
    assert admin.post(f"/admin/inventory/unitofmeasure/{unit.pk}/delete/", {"post": "yes"}).status_code == 302
    assert not UnitOfMeasure.objects.filter(code="box").exists()
    assert_by_boss(latest("inventory.unit_delete"), boss)


def test_an_item_added_in_the_admin_is_audited(admin, boss):
    assert admin.post("/admin/inventory/item/add/", _item_form()).status_code == 302
    entry = latest("inventory.item_create")
    assert_by_boss(entry, boss)
    assert entry.object_id == str(Item.objects.get(sku="ADM-1").pk)


def test_an_item_changed_in_the_admin_records_old_and_new_values(admin, boss):
    item = ItemFactory(sku="ADM-1", name="Old name", uom=UnitFactory(), standard_cost=0)
    response = admin.post(f"/admin/inventory/item/{item.pk}/change/", _item_form(name="New name"))
    assert response.status_code == 302
    entry = latest("inventory.item_update")
    assert_by_boss(entry, boss)
    assert entry.changes == {"name": ["Old name", "New name"]}


def test_an_item_deleted_in_the_admin_is_audited(admin, boss):
    item = ItemFactory()
    assert admin.post(f"/admin/inventory/item/{item.pk}/delete/", {"post": "yes"}).status_code == 302
    assert not Item.objects.filter(pk=item.pk).exists()
    assert_by_boss(latest("inventory.item_delete"), boss)


def test_items_deleted_together_from_the_list_are_each_audited(admin, boss):
    items = [ItemFactory(), ItemFactory()]
    response = admin.post(
        "/admin/inventory/item/",
        {"action": "delete_selected", "_selected_action": [i.pk for i in items], "post": "yes"},
    )
    assert response.status_code == 302
    assert not Item.objects.filter(pk__in=[i.pk for i in items]).exists()
    assert set(AuditEntry.objects.filter(action="inventory.item_delete").values_list("object_id", flat=True)) >= {
        str(i.pk) for i in items
    }


def _location_form(location: Location, **overrides) -> dict:
    return {
        "code": location.code,
        "name": location.name,
        "kind": location.kind,
        "parent": location.parent_id or "",
        "is_active": "on" if location.is_active else "",
        "is_default_receiving": "on" if location.is_default_receiving else "",
        **overrides,
    }


def test_a_location_added_changed_and_deleted_in_the_admin_is_audited(admin, boss):
    form = {"code": "ADM-LOC", "name": "Admin bin", "kind": "bin", "parent": "", "is_active": "on"}
    assert admin.post("/admin/inventory/location/add/", form).status_code == 302
    location = Location.objects.get(code="ADM-LOC")
    assert_by_boss(latest("inventory.location_create"), boss)
    response = admin.post(f"/admin/inventory/location/{location.pk}/change/", {**form, "name": "Renamed"})
    assert response.status_code == 302
    assert latest("inventory.location_update").changes == {"name": ["Admin bin", "Renamed"]}
    assert admin.post(f"/admin/inventory/location/{location.pk}/delete/", {"post": "yes"}).status_code == 302
    assert_by_boss(latest("inventory.location_delete"), boss)


def test_a_location_rule_refused_by_the_service_is_a_form_error(admin, boss):
    receiving = Location.objects.get(is_default_receiving=True)
    before = AuditEntry.objects.count()
    response = admin.post(f"/admin/inventory/location/{receiving.pk}/change/", _location_form(receiving, is_active=""))
    assert response.status_code == 200
    assert "is the default receiving location and cannot be deactivated" in response.content.decode()
    assert Location.objects.get(pk=receiving.pk).is_active
    assert AuditEntry.objects.count() == before


def test_a_location_placed_inside_itself_is_a_form_error(admin):
    outer = LocationFactory(code="OUTER")
    inner = LocationFactory(code="INNER", parent=outer)
    response = admin.post(f"/admin/inventory/location/{outer.pk}/change/", _location_form(outer, parent=inner.pk))
    assert response.status_code == 200
    assert "that is inside it" in response.content.decode()
    assert Location.objects.get(pk=outer.pk).parent_id is None


def test_deleting_the_default_receiving_location_is_refused_with_a_message(admin):
    receiving = Location.objects.get(is_default_receiving=True)
    response = admin.post(f"/admin/inventory/location/{receiving.pk}/delete/", {"post": "yes"}, follow=True)
    assert response.status_code == 200
    assert "is the default receiving location" in response.content.decode()
    assert Location.objects.filter(pk=receiving.pk).exists()


# --- Partners ------------------------------------------------------------------------------------------------------
def _partner_form(**overrides) -> dict:
    return {
        "code": "ADM-P",
        "name": "Admin partner",
        "is_customer": "on",
        "is_supplier": "",
        "contact_name": "",
        "email": "",
        "phone": "",
        "address": "",
        "default_lead_time_days": "0",
        "is_active": "on",
        **overrides,
    }


def test_a_partner_added_and_changed_in_the_admin_is_audited(admin, boss):
    response = admin.post("/admin/orders/partner/add/", _partner_form())
    assert response.status_code == 302, response.content.decode()[:3000]
    partner = Partner.objects.get(code="ADM-P")
    create = AuditEntry.objects.filter(object_type="orders.partner", object_id=str(partner.pk)).latest("id")
    assert_by_boss(create, boss)
    response = admin.post(f"/admin/orders/partner/{partner.pk}/change/", _partner_form(name="Renamed"))
    assert response.status_code == 302
    update = AuditEntry.objects.filter(object_type="orders.partner", object_id=str(partner.pk)).latest("id")
    assert update.pk != create.pk and update.changes["name"] == ["Admin partner", "Renamed"]
    assert_by_boss(update, boss)


# --- Users and groups ----------------------------------------------------------------------------------------------
def _user_form(user, **overrides) -> dict:
    return {
        "username": user.username,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "email": user.email,
        "role": "admin" if user.is_superuser else "read-only",
        "is_active": "on" if user.is_active else "",
        **overrides,
    }


def test_a_user_added_in_the_admin_gets_their_role_and_is_audited(admin, boss):
    response = admin.post(
        "/admin/auth/user/add/",
        {
            "username": "newbie",
            "usable_password": "true",
            "password1": "a-long-unusual-passphrase",
            "password2": "a-long-unusual-passphrase",
            "role": "planner",
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    user = User.objects.get(username="newbie")
    assert list(user.groups.values_list("name", flat=True)) == ["planner"] and not user.is_superuser
    assert user.check_password("a-long-unusual-passphrase")
    entry = latest("access.user_create")
    assert_by_boss(entry, boss)
    assert entry.object_id == str(user.pk) and entry.changes["role"] == [None, "planner"]


def test_a_user_changed_in_the_admin_is_audited_with_their_role(admin, boss):
    clerk = UserFactory(username="clerk", email="clerk@example.test")
    response = admin.post(
        f"/admin/auth/user/{clerk.pk}/change/", _user_form(clerk, email="clerk@new.test", role="operator")
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    assert latest("access.user_update").changes == {"email": ["clerk@example.test", "clerk@new.test"]}
    assert latest("access.user_role_set").changes == {"role": ["read-only", "operator"]}
    assert_by_boss(latest("access.user_role_set"), boss)
    assert list(User.objects.get(pk=clerk.pk).groups.values_list("name", flat=True)) == ["operator"]


def test_an_admin_cannot_demote_themselves_in_the_admin(admin, boss):
    before = AuditEntry.objects.count()
    response = admin.post(f"/admin/auth/user/{boss.pk}/change/", _user_form(boss, role="read-only"))
    assert response.status_code == 200
    assert "you cannot take the admin role from yourself" in response.content.decode()
    boss.refresh_from_db()
    assert boss.is_superuser and boss.is_staff
    assert AuditEntry.objects.count() == before


def test_the_admin_form_has_no_superuser_flag_or_groups_to_bypass_the_role(admin, boss):
    page = admin.get(f"/admin/auth/user/{boss.pk}/change/").content.decode()
    assert 'name="role"' in page
    for field in ("is_superuser", "is_staff", "groups", "user_permissions"):
        assert f'name="{field}"' not in page
    # Posting them anyway changes nothing.
    response = admin.post(
        f"/admin/auth/user/{boss.pk}/change/", _user_form(boss, is_superuser="", is_staff="", groups=[])
    )
    assert response.status_code == 302
    boss.refresh_from_db()
    assert boss.is_superuser


def test_an_admin_cannot_deactivate_themselves_in_the_admin(admin, boss):
    response = admin.post(f"/admin/auth/user/{boss.pk}/change/", _user_form(boss, is_active=""))
    assert response.status_code == 200
    assert "you cannot deactivate yourself" in response.content.decode()
    assert User.objects.get(pk=boss.pk).is_active


def test_an_admin_cannot_delete_themselves_in_the_admin(admin, boss):
    response = admin.post(f"/admin/auth/user/{boss.pk}/delete/", {"post": "yes"}, follow=True)
    assert response.status_code == 200
    assert "you cannot delete yourself" in response.content.decode()
    assert User.objects.filter(pk=boss.pk).exists()


def test_a_user_deleted_in_the_admin_is_audited(admin, boss):
    clerk = UserFactory(username="clerk")
    assert admin.post(f"/admin/auth/user/{clerk.pk}/delete/", {"post": "yes"}).status_code == 302
    assert not User.objects.filter(pk=clerk.pk).exists()
    entry = latest("access.user_delete")
    assert_by_boss(entry, boss)
    assert entry.object_id == str(clerk.pk)


def test_a_password_set_in_the_admin_is_audited_without_the_password(admin, boss):
    clerk = UserFactory(username="clerk")
    response = admin.post(
        f"/admin/auth/user/{clerk.pk}/password/",
        {"usable_password": "true", "password1": "another-long-passphrase", "password2": "another-long-passphrase"},
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    assert User.objects.get(pk=clerk.pk).check_password("another-long-passphrase")
    entry = latest("access.user_password_set")
    assert_by_boss(entry, boss)
    assert "another-long-passphrase" not in str(entry.changes)


def test_groups_are_read_only_in_the_tenant_admin(admin):
    planner = Group.objects.get(name="planner")
    assert admin.get("/admin/auth/group/").status_code == 200
    assert admin.get("/admin/auth/group/add/").status_code == 403
    assert admin.post(f"/admin/auth/group/{planner.pk}/change/", {"name": "boss-now"}).status_code == 403
    assert admin.post(f"/admin/auth/group/{planner.pk}/delete/", {"post": "yes"}).status_code == 403
    assert Group.objects.filter(name="planner").exists()
