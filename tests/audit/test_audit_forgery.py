"""At the database: an audit entry's tenant and time come from the server, whatever the tenant's role sends."""

import datetime

import pytest
from django.contrib.auth import get_user_model
from django.db import DatabaseError, connection, transaction
from django_tenants.utils import schema_context, tenant_context

from audit.models import AuditEntry
from tenants.services import tenant_create

FORGED = (
    "INSERT INTO audit_auditentry (created_at, tenant, user_id, username, action, object_type, object_id, object_repr,"
    " changes) VALUES ('2001-01-01T00:00:00Z', 'globex', %s, %s, 'forged.action', 'x.y', '1', 'x', '{}') RETURNING id"
)


def _forge(user_id, username) -> tuple[AuditEntry, datetime.datetime]:
    with connection.cursor() as cursor:
        cursor.execute(FORGED, [user_id, username])
        pk = cursor.fetchone()[0]
        cursor.execute("SELECT now()")
        now = cursor.fetchone()[0]
    return AuditEntry.objects.get(pk=pk), now


def test_a_forged_tenant_and_time_are_replaced_by_the_servers(in_acme):
    entry, now = _forge(None, "ghost")
    assert entry.tenant == "acme"
    assert entry.created_at == now
    assert entry.username == "ghost"  # who acted is the application's claim; where and when are the server's


def test_entries_written_through_the_service_keep_their_values(in_acme):
    from audit.services import audit_record

    boss = get_user_model().objects.get(username="boss")
    written = audit_record(user=boss, action="test.write", obj=boss)
    stored = AuditEntry.objects.get(pk=written.pk)
    assert (stored.tenant, stored.username, stored.action) == ("acme", "boss", "test.write")


def test_the_tenant_role_cannot_change_or_delete_entries(in_acme):
    entry, _ = _forge(None, "ghost")
    for statement in (
        "UPDATE audit_auditentry SET action = 'x' WHERE id = %s",
        "DELETE FROM audit_auditentry WHERE id = %s",
    ):
        with pytest.raises(DatabaseError, match="permission denied for table"), transaction.atomic():
            connection.cursor().execute(statement, [entry.pk])


def test_the_schema_owner_writes_entries_as_given_so_a_restore_keeps_their_times(acme):
    with schema_context("acme"):
        entry, _ = _forge(None, "restored")
    assert entry.tenant == "globex"
    assert entry.created_at == datetime.datetime(2001, 1, 1, tzinfo=datetime.UTC)


def test_a_tenant_created_later_stamps_its_entries_too(db):
    provisioned = tenant_create(slug="later-audit", name="Later", admin_email="a@later.test")
    with tenant_context(provisioned.tenant):
        entry, now = _forge(None, "ghost")
    assert (entry.tenant, entry.created_at) == ("later_audit", now)
