"""Backup, restore and archive of a tenant that lives on the second server."""

import pytest
from django.db import connection
from django_tenants.utils import schema_exists

from cells import routing
from fleet.backup import tenant_backup, tenant_restore
from fleet.offboarding import tenant_archive
from tenants.models import Tenant
from tests.cells.conftest import CELL, drop, provision
from tests.inventory.factories import ItemFactory
from tests.support import committed

# Each step runs committed, in a thread of its own: the registry rows must outlive this test's transaction as the
# schemas on the second server do, so the fixture can drop both.
pytestmark = pytest.mark.django_db


@pytest.fixture
def east_tenant_with_an_item():
    tenant = provision("bak", cell=CELL)

    def make() -> None:
        with routing.tenant_on_cell(tenant):
            ItemFactory(sku="SKU-BACKED-UP")

    committed(make)
    yield tenant
    drop(tenant)


def _skus(tenant) -> list[str]:
    from inventory.models import Item

    with routing.tenant_on_cell(tenant):
        return list(Item.objects.order_by("sku").values_list("sku", flat=True))


def _on_cell(cell: str, schema_name: str) -> bool:
    with routing.on_cell(cell):
        connection.set_schema_to_public()
        return schema_exists(schema_name)


def test_a_backup_of_a_tenant_on_the_second_cell_restores_there_under_another_slug(east_tenant_with_an_item, tmp_path):
    tenant = east_tenant_with_an_item
    result = committed(lambda: tenant_backup(tenant=tenant, path=tmp_path / "bak.tar.gz", actor="test"))
    assert result.tables["inventory_item"].rows == 1
    copy = committed(lambda: tenant_restore(path=result.path, actor="test", as_slug=f"{tenant.slug}-copy", cell=CELL))
    try:
        assert Tenant.objects.get(pk=copy.pk).cell == CELL
        assert _on_cell(CELL, copy.schema_name) and not _on_cell("default", copy.schema_name)
        assert _skus(copy) == ["SKU-BACKED-UP"]
    finally:
        drop(copy)


def test_an_archived_tenant_of_the_second_cell_is_dropped_there_and_revived_there(east_tenant_with_an_item, tmp_path):
    tenant = east_tenant_with_an_item
    archive = committed(lambda: tenant_archive(tenant=tenant, actor="test", path=tmp_path / "archive.tar.gz"))
    assert Tenant.objects.get(pk=tenant.pk).status == Tenant.Status.ARCHIVED
    assert not _on_cell(CELL, tenant.schema_name)
    revived = committed(lambda: tenant_restore(path=archive.location, actor="test"))
    assert (revived.pk, revived.cell, revived.status) == (tenant.pk, CELL, Tenant.Status.ACTIVE)
    assert _skus(revived) == ["SKU-BACKED-UP"]
