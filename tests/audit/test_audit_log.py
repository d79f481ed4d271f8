"""The audit log: one entry per write made through a service, append-only, for tenant admins, never across tenants."""

import pytest
from django.contrib.auth import get_user_model
from django.db import connection, transaction
from django.db.utils import DatabaseError
from django_tenants.utils import tenant_context

from audit.models import AuditEntry
from audit.services import audit_record
from inventory import services as inventory_services
from inventory.models import Item
from tests.inventory.factories import ItemFactory, UnitFactory

MARKER = "ACME-SECRET-AUDIT"


@pytest.fixture
def boss(in_acme):
    return get_user_model().objects.get(username="boss")


@pytest.fixture
def acme_entry(acme, boss):
    """An acme audit entry whose repr carries MARKER (an item created through the service)."""
    item = inventory_services.item_create(sku=f"{MARKER}-1", name=MARKER, uom=ItemFactory(sku="X").uom, user=boss)
    return AuditEntry.objects.get(action="inventory.item_create", object_id=str(item.pk))


def sign_in(client, tenant, username="boss"):
    with tenant_context(tenant):
        client.force_login(get_user_model().objects.get(username=username))
    return client


def test_an_api_update_records_one_entry_with_old_and_new_values(acme, acme_client, boss):
    item = ItemFactory(sku="BOLT", name="Bolt", uom=UnitFactory(code="kg"))  # kg: 12.5 is a quantity of it
    before = AuditEntry.objects.count()
    response = sign_in(acme_client, acme).patch(
        f"/api/v1/items/{item.pk}/", {"name": "Bolt M10", "reorder_point": "12.5"}, content_type="application/json"
    )
    assert response.status_code == 200
    assert AuditEntry.objects.count() == before + 1
    entry = AuditEntry.objects.latest("id")
    assert (entry.tenant, entry.username, entry.user_id) == ("acme", "boss", boss.pk)
    assert (entry.action, entry.object_type, entry.object_id) == (
        "inventory.item_update",
        "inventory.item",
        str(item.pk),
    )
    assert entry.object_repr == str(Item.objects.get(pk=item.pk))
    assert set(entry.changes) == {"name", "reorder_point"}
    assert entry.changes["name"] == ["Bolt", "Bolt M10"] and entry.changes["reorder_point"][1] == "12.5"


def test_an_update_that_changes_nothing_records_nothing(boss):
    item = ItemFactory(sku="BOLT", name="Bolt")
    before = AuditEntry.objects.count()
    inventory_services.item_update(item=item, user=boss, name="Bolt")
    assert AuditEntry.objects.count() == before


def test_a_refused_write_records_nothing(acme, acme_client, in_acme):
    ItemFactory(sku="BOLT")
    before = AuditEntry.objects.count()
    response = sign_in(acme_client, acme).post(
        "/api/v1/items/", {"sku": "BOLT", "name": "Dup", "uom": "pcs"}, content_type="application/json"
    )
    assert response.status_code == 400
    assert AuditEntry.objects.count() == before


def test_work_order_and_order_services_audit_their_transitions(boss):
    import datetime

    from inventory.models import Location
    from production import services as production_services

    receiving = Location.objects.get(is_default_receiving=True)
    steel = ItemFactory(sku="STEEL")
    bracket = ItemFactory(sku="BRKT", kind=Item.Kind.FINISHED_GOOD)
    production_services.bom_create(item=bracket, lines=[{"component": steel, "quantity": 1}], user=boss)
    inventory_services.stock_receive(item=steel, location=receiving, quantity=5, user=boss)
    wo = production_services.work_order_create(item=bracket, quantity=1, due_date=datetime.date(2030, 1, 1), user=boss)
    production_services.work_order_release(work_order=wo, user=boss, location=receiving)
    entry = AuditEntry.objects.get(action="production.wo_released", object_id=str(wo.pk))
    assert entry.changes["state"] == ["draft", "released"]
    assert entry.changes["location"] == [None, receiving.pk]


def test_api_key_creation_is_audited(boss):
    from access.services import api_key_create

    new = api_key_create(name="sync", scope="read_only", user=boss, created_by=boss)
    entry = AuditEntry.objects.get(action="access.api_key_create", object_id=str(new.api_key.pk))
    assert entry.changes["scope"] == [None, "read_only"]
    assert new.key not in str(entry.changes)


@pytest.mark.parametrize(
    "statement",
    ["UPDATE audit_auditentry SET action = 'forged'", "DELETE FROM audit_auditentry", "TRUNCATE audit_auditentry"],
)
def test_the_table_refuses_update_delete_and_truncate(acme_entry, statement):
    # TRUNCATE is refused even before the trigger: the tenant's PostgreSQL role holds no TRUNCATE privilege.
    refused = pytest.raises(DatabaseError, match=r"audit entries are immutable|permission denied for table")
    with refused, transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(statement)
    assert AuditEntry.objects.filter(pk=acme_entry.pk, action="inventory.item_create").exists()


def test_audit_record_names_the_tenant_schema(boss):
    entry = audit_record(user=boss, action="test.touch", obj=boss)
    assert entry.tenant == "acme" and entry.object_type == "auth.user"


def test_admin_page_filters_by_user_action_and_object(acme, acme_client, acme_entry):
    client = sign_in(acme_client, acme)
    page = client.get("/audit/", {"action": "inventory.item_create", "user": "boss"}).content.decode()
    assert MARKER in page
    assert MARKER not in client.get("/audit/", {"user": "nobody"}).content.decode()
    page = client.get("/audit/", {"object_type": "inventory.item", "object_id": acme_entry.object_id})
    assert MARKER in page.content.decode()


def test_api_lists_entries_for_admins(acme, acme_client, acme_entry):
    body = sign_in(acme_client, acme).get("/api/v1/audit-entries/", {"action": "inventory.item_create"}).json()
    assert any(row["id"] == acme_entry.pk for row in body["results"])


def test_django_admin_shows_entries_read_only(acme, acme_client, acme_entry):
    client = sign_in(acme_client, acme)
    assert client.get(f"/admin/audit/auditentry/{acme_entry.pk}/change/").status_code == 200
    assert client.post(f"/admin/audit/auditentry/{acme_entry.pk}/delete/", {"post": "yes"}).status_code == 403
    assert client.get("/admin/audit/auditentry/add/").status_code == 403


# --- tenant isolation ---------------------------------------------------------------------------------------------
def test_globex_admin_does_not_see_acme_entries_on_globex_host(acme_entry, globex, globex_client):
    client = sign_in(globex_client, globex)
    listing = client.get("/api/v1/audit-entries/", {"page_size": 500})
    assert listing.status_code == 200 and MARKER not in listing.content.decode()
    assert MARKER not in client.get("/audit/").content.decode()
    guessed = client.get(f"/api/v1/audit-entries/{acme_entry.pk}/")
    assert guessed.status_code == 404 or MARKER not in guessed.content.decode()
    admin_page = client.get(f"/admin/audit/auditentry/{acme_entry.pk}/change/")
    assert MARKER not in admin_page.content.decode()


def test_globex_session_on_acme_host_is_not_signed_in(acme_entry, acme, globex):
    from django.test import Client

    from tests.conftest import host_of

    client = sign_in(Client(HTTP_HOST=host_of(acme)), globex)  # the session lives in globex's schema
    for url in ("/api/v1/audit-entries/", f"/api/v1/audit-entries/{acme_entry.pk}/", "/audit/"):
        response = client.get(url)
        assert response.status_code in {302, 401, 403}, url
        assert MARKER not in response.content.decode()


def test_globex_token_on_acme_host_is_refused(acme_entry, acme_client, globex_client):
    from tests.conftest import ADMIN_PASSWORD

    token = globex_client.post(
        "/api/v1/auth/token/", {"username": "boss", "password": ADMIN_PASSWORD}, content_type="application/json"
    ).json()["access"]
    response = acme_client.get("/api/v1/audit-entries/", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 401
    assert MARKER not in response.content.decode()


def test_a_stock_move_records_its_entry_in_the_same_statement(boss, django_assert_num_queries):
    from tests.inventory.factories import LocationFactory

    item, bin_a = ItemFactory(sku="BOLT"), LocationFactory(code="A1")
    with django_assert_num_queries(1):  # move, levels and audit entry: one round trip
        move = inventory_services.stock_receive(item=item, location=bin_a, quantity="5", user=boss, reference="PO-1")
    entry = AuditEntry.objects.get(action="inventory.stock_receipt")
    assert (entry.tenant, entry.username, entry.object_type, entry.object_id) == (
        "acme",
        "boss",
        "inventory.stockmove",
        str(move.pk),
    )
    assert entry.object_repr == f"#{move.pk} receipt 5 of BOLT"
    assert entry.changes == {
        "item": [None, "BOLT"],
        "quantity": [None, "5"],
        "from_location": [None, None],
        "to_location": [None, "A1"],
        "reference": [None, "PO-1"],
    }


def test_a_refused_stock_move_records_nothing(boss):
    from inventory.services import InsufficientStock
    from tests.inventory.factories import LocationFactory

    item, bin_a = ItemFactory(sku="BOLT"), LocationFactory(code="A1")
    with pytest.raises(InsufficientStock):
        inventory_services.stock_issue(item=item, location=bin_a, quantity="1", user=boss)
    assert not AuditEntry.objects.filter(action__startswith="inventory.stock_").exists()


def test_reserving_records_the_reserved_quantity_before_and_after(boss):
    from tests.inventory.factories import LocationFactory

    item, bin_a = ItemFactory(sku="BOLT"), LocationFactory(code="A1")
    inventory_services.stock_receive(item=item, location=bin_a, quantity="5", user=boss)
    level = inventory_services.stock_reserve(item=item, location=bin_a, quantity="2", user=boss, reference="SO-1")
    entry = AuditEntry.objects.get(action="inventory.stock_reserve")
    assert (entry.object_type, entry.object_id) == ("inventory.stocklevel", str(level.pk))
    assert entry.changes == {"reserved": ["0", "2"], "reference": [None, "SO-1"]}
