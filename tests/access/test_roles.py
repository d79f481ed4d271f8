"""Roles (access.roles): each role against representative API endpoints and pages, allowed and refused.

A refused write answers 403 with a sentence naming the role, and writes nothing (no row, no audit entry).
"""

import datetime

import pytest
from django.contrib.auth import get_user_model
from django_tenants.utils import tenant_context

from access import services as access_services
from access.models import ApiKey
from access.roles import Role, role_of
from audit.models import AuditEntry
from inventory.models import Item, Location, StockMove
from inventory.services import stock_receive
from production import services as production_services
from tests.inventory.factories import ItemFactory, UserFactory

ROLES = [Role.ADMIN, Role.PLANNER, Role.OPERATOR, Role.READ_ONLY]


@pytest.fixture
def boss(in_acme):
    return get_user_model().objects.get(username="boss")


@pytest.fixture
def as_role(acme, acme_client, boss):
    """as_role(role) -> acme's client signed in as a user holding `role` (boss for admin)."""

    def sign_in(role: str):
        user = boss if role == Role.ADMIN else UserFactory(username=f"user-{role}")
        access_services.user_set_role(user=user, role=role, by=boss)
        with tenant_context(acme):
            acme_client.force_login(user)
        return acme_client

    return sign_in


@pytest.fixture
def receiving(in_acme):
    return Location.objects.get(is_default_receiving=True)


@pytest.fixture
def released_work_order(boss, receiving):
    steel = ItemFactory(sku="STEEL", name="Steel")
    bracket = ItemFactory(sku="BRKT", name="Bracket", kind=Item.Kind.FINISHED_GOOD)
    production_services.bom_create(item=bracket, lines=[{"component": steel, "quantity": 1}], user=boss)
    stock_receive(item=steel, location=receiving, quantity=10, user=boss)
    work_order = production_services.work_order_create(
        item=bracket, quantity=2, due_date=datetime.date(2030, 1, 1), user=boss
    )
    return production_services.work_order_release(work_order=work_order, user=boss, location=receiving)


def test_existing_tenant_admin_is_admin_and_new_users_read_only(boss):
    assert role_of(boss) == Role.ADMIN
    assert role_of(UserFactory(username="newcomer")) == Role.READ_ONLY


@pytest.mark.parametrize("role", ROLES)
def test_every_role_reads(as_role, role):
    client = as_role(role)
    assert client.get("/api/v1/items/").status_code == 200
    assert client.get("/api/v1/production/work-orders/").status_code == 200
    assert client.get("/inventory/").status_code == 200
    assert client.get("/orders/sales/").status_code == 200


@pytest.mark.parametrize(
    "role,allowed", [("admin", True), ("planner", True), ("operator", False), ("read-only", False)]
)
def test_item_create_needs_master_data(as_role, role, allowed):
    client = as_role(role)
    items, entries = Item.objects.count(), AuditEntry.objects.count()
    response = client.post(
        "/api/v1/items/", {"sku": "NEW-1", "name": "New", "uom": "pcs"}, content_type="application/json"
    )
    if allowed:
        assert response.status_code == 201
        assert AuditEntry.objects.filter(action="inventory.item_create", object_id=str(response.json()["id"])).exists()
    else:
        assert response.status_code == 403
        assert response.json()["detail"].startswith(f"Not allowed: your role ({Role(role).label})")
        assert "master data" in response.json()["detail"]
        assert (Item.objects.count(), AuditEntry.objects.count()) == (items, entries)


@pytest.mark.parametrize(
    "role,allowed", [("admin", True), ("planner", False), ("operator", True), ("read-only", False)]
)
def test_stock_move_needs_stock(as_role, role, allowed, receiving):
    item = ItemFactory(sku="BOLT")
    client = as_role(role)
    payload = {"item": item.pk, "quantity": "5", "reason": "receipt", "to_location": receiving.pk}
    moves = StockMove.objects.count()
    response = client.post("/api/v1/moves/", payload, content_type="application/json")
    assert response.status_code == (201 if allowed else 403), response.content
    assert StockMove.objects.count() == moves + (1 if allowed else 0)
    assert item.levels.exists() is allowed


@pytest.mark.parametrize(
    "role,allowed", [("admin", True), ("planner", False), ("operator", True), ("read-only", False)]
)
def test_work_order_start_is_floor_work(as_role, role, allowed, released_work_order):
    client = as_role(role)
    response = client.post(f"/api/v1/production/work-orders/{released_work_order.pk}/start/")
    assert response.status_code == (200 if allowed else 403), response.content
    released_work_order.refresh_from_db()
    assert (released_work_order.state == "in_progress") is allowed


@pytest.mark.parametrize(
    "role,allowed", [("admin", True), ("planner", True), ("operator", False), ("read-only", False)]
)
def test_work_order_cancel_is_planning(as_role, role, allowed, released_work_order):
    response = as_role(role).post(f"/api/v1/production/work-orders/{released_work_order.pk}/cancel/")
    assert response.status_code == (200 if allowed else 403), response.content


@pytest.mark.parametrize(
    "role,allowed", [("admin", True), ("planner", False), ("operator", False), ("read-only", False)]
)
def test_api_keys_and_audit_log_are_for_admins(as_role, role, allowed):
    client = as_role(role)
    for url in ("/api/v1/auth/api-keys/", "/api/v1/audit-entries/", "/users/", "/audit/"):
        assert client.get(url).status_code == (200 if allowed else 403), url


@pytest.mark.parametrize(
    "role,url,allowed",
    [
        ("operator", "/inventory/stock/receive/", True),
        ("planner", "/inventory/stock/receive/", False),
        ("read-only", "/inventory/stock/adjust/", False),
        ("planner", "/production/work-orders/new/", True),
        ("operator", "/production/work-orders/new/", False),
        ("planner", "/inventory/imports/new/", True),
        ("operator", "/inventory/imports/new/", False),
    ],
)
def test_pages_refuse_what_the_role_cannot_do(as_role, role, url, allowed):
    response = as_role(role).get(url)
    assert response.status_code == (200 if allowed else 403)
    if not allowed:
        assert "Not allowed: your role" in response.content.decode()


def test_refused_page_post_writes_nothing(as_role, receiving):
    ItemFactory(sku="BOLT")
    client = as_role(Role.PLANNER)
    moves, entries = StockMove.objects.count(), AuditEntry.objects.count()
    response = client.post("/inventory/stock/receive/", {"item": "BOLT", "location": receiving.code, "quantity": "5"})
    assert response.status_code == 403
    assert (StockMove.objects.count(), AuditEntry.objects.count()) == (moves, entries)


def test_ui_work_order_action_refused_for_the_wrong_role(as_role, released_work_order):
    response = as_role(Role.PLANNER).post(f"/production/work-orders/{released_work_order.pk}/start/")
    assert response.status_code == 403
    released_work_order.refresh_from_db()
    assert released_work_order.state == "released"


def test_navigation_hides_what_the_role_cannot_do(as_role):
    read_only = as_role(Role.READ_ONLY).get("/inventory/").content.decode()
    assert "/inventory/stock/receive/" not in read_only
    assert "/inventory/imports/new/" not in read_only
    assert 'href="/audit/"' not in read_only
    operator = as_role(Role.OPERATOR).get("/inventory/").content.decode()
    assert "/inventory/stock/receive/" in operator
    assert "/inventory/imports/new/" not in operator
    admin = as_role(Role.ADMIN).get("/inventory/").content.decode()
    assert 'href="/audit/"' in admin and 'href="/users/"' in admin


def test_operator_key_writes_only_what_the_operator_may(acme_client, boss, receiving):
    operator = UserFactory(username="scanner-owner")
    access_services.user_set_role(user=operator, role=Role.OPERATOR, by=boss)
    key = access_services.api_key_create(name="scanner", scope=ApiKey.Scope.READ_WRITE, user=operator, created_by=boss)
    headers = {"Authorization": f"Api-Key {key.key}"}
    bolt = ItemFactory(sku="BOLT")
    item = acme_client.post(
        "/api/v1/items/", {"sku": "X", "name": "X", "uom": "pcs"}, content_type="application/json", headers=headers
    )
    assert item.status_code == 403
    move = acme_client.post(
        "/api/v1/moves/",
        {"item": bolt.pk, "quantity": "1", "reason": "receipt", "to_location": receiving.pk},
        content_type="application/json",
        headers=headers,
    )
    assert move.status_code == 201


def test_read_only_key_of_an_admin_still_cannot_write(acme_client, boss):
    key = access_services.api_key_create(name="ro", scope=ApiKey.Scope.READ_ONLY, user=boss, created_by=boss)
    response = acme_client.post(
        "/api/v1/units/",
        {"code": "box", "name": "Box"},
        content_type="application/json",
        headers={"Authorization": f"Api-Key {key.key}"},
    )
    assert response.status_code == 403


def test_admin_sets_a_role_on_the_users_page_and_it_is_audited(as_role, boss):
    clerk = UserFactory(username="clerk-x")
    response = as_role(Role.ADMIN).post(f"/users/{clerk.pk}/role/", {"role": "operator"})
    assert response.status_code == 302
    assert role_of(get_user_model().objects.get(pk=clerk.pk)) == Role.OPERATOR
    entry = AuditEntry.objects.get(action="access.user_role_set", object_id=str(clerk.pk))
    assert entry.changes == {"role": ["read-only", "operator"]}
    assert entry.username == "boss"


def test_non_admin_cannot_set_roles(as_role):
    clerk = UserFactory(username="clerk-y")
    assert as_role(Role.PLANNER).post(f"/users/{clerk.pk}/role/", {"role": "admin"}).status_code == 403
    assert role_of(get_user_model().objects.get(pk=clerk.pk)) == Role.READ_ONLY


def test_admin_role_makes_a_superuser_and_back(boss):
    user = UserFactory(username="promoted")
    access_services.user_set_role(user=user, role=Role.ADMIN, by=boss)
    user.refresh_from_db()
    assert user.is_superuser and user.is_staff
    access_services.user_set_role(user=user, role=Role.PLANNER, by=boss)
    user = get_user_model().objects.get(pk=user.pk)
    assert not user.is_superuser and not user.is_staff and role_of(user) == Role.PLANNER


def test_an_admin_cannot_demote_themselves(boss):
    from access.services import AccessError

    with pytest.raises(AccessError):
        access_services.user_set_role(user=boss, role=Role.READ_ONLY, by=boss)


def test_a_viewset_that_declares_no_write_capability_refuses_writes():
    from rest_framework.test import APIRequestFactory

    from access.permissions import RolePermission

    class Undeclared:
        action = "create"

    request = APIRequestFactory().post("/x/")
    request.user = type("U", (), {"is_authenticated": True, "is_active": True, "is_superuser": True})()
    permission = RolePermission()
    assert permission.has_permission(request, Undeclared()) is False
    assert "accepts no writes" in permission.message
