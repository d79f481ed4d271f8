"""A tenant of a dedicated plan with no empty cell left gets a database of its own, created on demand."""

import pytest
from django.db import connection
from django.test import Client
from django_tenants.utils import schema_exists

from cells import routing
from cells.models import DedicatedCell
from cells.placement import choose_cell
from cells.services import dedicated_cell_drop
from tenants.models import Tenant
from tests.cells.conftest import CELL, drop, provision, token_for
from tests.conftest import host_of
from tests.support import committed

pytestmark = pytest.mark.django_db


def test_a_dedicated_tenant_gets_a_new_database_on_the_dedicated_server_and_is_served_from_it(
    west_and_east, settings, second_server_url
):
    settings.CELL_DEDICATED_PLANS = [Tenant.Plan.PREMIUM]
    settings.CELL_DEDICATED_SERVER = second_server_url  # east (configured) already holds a tenant
    tenant = provision("vip", cell=None, plan=Tenant.Plan.PREMIUM)
    cell = committed(lambda: DedicatedCell.objects.get(name=tenant.cell))
    try:
        assert cell.database.endswith(f"_dedicated{cell.pk}")
        with routing.on_cell(cell.name):
            connection.set_schema_to_public()
            assert connection.settings_dict["NAME"] == cell.database
            assert schema_exists(tenant.schema_name)
        with routing.on_cell(CELL):
            connection.set_schema_to_public()
            assert not schema_exists(tenant.schema_name)
        client = Client(HTTP_HOST=host_of(tenant))
        response = client.get("/api/v1/items/", HTTP_AUTHORIZATION=f"Bearer {token_for(client)}")
        assert (response.status_code, response.json()["results"]) == (200, [])
        assert committed(lambda: choose_cell(plan=Tenant.Plan.FREE)) != cell.name  # it takes no one else
    finally:
        drop(tenant)
        committed(lambda: dedicated_cell_drop(cell=cell))
