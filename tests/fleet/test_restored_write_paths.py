"""A tenant restored from a backup under another slug has the same write protections, and its stock function writes
into its own schema, never the one the backup was taken from (committed state: backup and restore commit)."""

import pytest
from django.core.management import call_command
from django.db import DatabaseError, connection, transaction
from django_tenants.utils import tenant_context

from fleet.models import TenantArchive, TenantAuditEvent
from inventory import services
from inventory.models import StockMove
from tenants.models import Tenant
from tests.fleet.fleet_support import committed_db, committed_tenants
from tests.inventory.factories import ItemFactory, LocationFactory

db = committed_db
pytestmark = pytest.mark.usefixtures("db")


def test_a_tenant_restored_under_another_slug_posts_moves_into_its_own_schema_only(tmp_path, django_db_blocker):
    with committed_tenants(django_db_blocker, "fleet-wp") as (tenant,):
        path = tmp_path / "fleet-wp.tar.gz"
        call_command("tenant_backup", "fleet-wp", "-o", str(path))
        call_command("tenant_restore", str(path), "--as", "fleet-wp2")
        try:
            restored = Tenant.objects.get(slug="fleet-wp2")
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT p.proconfig FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace"
                    " WHERE n.nspname = 'fleet_wp2' AND p.proname = 'inventory_post_move'"
                )
                assert cursor.fetchone()[0] == ["search_path=fleet_wp2, pg_temp"]
            with tenant_context(restored), transaction.atomic():
                item, bin_ = ItemFactory(), LocationFactory()
                services.stock_receive(item=item, location=bin_, quantity=2, user=None, reference="restored")
                assert StockMove.objects.filter(reference="restored").count() == 1
                with pytest.raises(DatabaseError, match="permission denied for table"), transaction.atomic():
                    connection.cursor().execute(
                        "INSERT INTO inventory_stockmove (item_id, quantity, to_location_id, reason, reference,"
                        " created_at) VALUES (%s, 5, %s, 'receipt', 'raw', now())",
                        [item.pk, bin_.pk],
                    )
                transaction.set_rollback(True)
            with tenant_context(tenant):
                assert not StockMove.objects.filter(reference="restored").exists()
        finally:
            from tenants.services import tenant_delete

            connection.set_schema_to_public()
            tenant_delete(tenant=Tenant.objects.get(slug="fleet-wp2"))
            TenantAuditEvent.objects.filter(tenant_slug="fleet-wp2").delete()
            TenantArchive.objects.filter(tenant_slug="fleet-wp").delete()
