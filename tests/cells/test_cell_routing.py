"""Provisioning on each cell, and requests and tasks served from the tenant's own cell."""

import pytest
from django.db import connection
from django.test import Client
from django_tenants.utils import schema_exists

from cells import routing
from tenants.models import Tenant
from tests.cells.conftest import CELL, token_for
from tests.conftest import host_of

pytestmark = pytest.mark.django_db


def _schemas_on(cell: str, *names: str) -> dict[str, bool]:
    with routing.on_cell(cell):
        connection.set_schema_to_public()
        return {name: schema_exists(name) for name in names}


def test_a_tenant_provisioned_on_a_cell_has_its_schema_there_and_its_registry_row_on_the_control_plane(west_and_east):
    west, east = west_and_east
    assert Tenant.objects.get(slug=east.slug).cell == CELL
    assert Tenant.objects.get(slug=west.slug).cell == "default"
    assert _schemas_on(CELL, east.schema_name, west.schema_name) == {east.schema_name: True, west.schema_name: False}
    assert _schemas_on("default", east.schema_name, west.schema_name) == {
        east.schema_name: False,
        west.schema_name: True,
    }


def test_each_cell_has_its_own_tenant_role(west_and_east):
    west, east = west_and_east
    with routing.on_cell(CELL), connection.cursor() as cursor:
        cursor.execute("SELECT rolname FROM pg_roles WHERE rolname LIKE 't\\_%%' ORDER BY rolname")
        roles = [row[0] for row in cursor.fetchall()]
    assert any(role.endswith(f"_{east.schema_name}") for role in roles)
    assert not any(role.endswith(f"_{west.schema_name}") for role in roles)


def test_a_request_to_each_tenants_host_reads_its_own_cells_data(west_and_east, items_on_each_cell):
    for tenant in west_and_east:
        client = Client(HTTP_HOST=host_of(tenant))
        response = client.get("/api/v1/items/", HTTP_AUTHORIZATION=f"Bearer {token_for(client)}")
        assert response.status_code == 200, response.content[:300]
        assert [item["sku"] for item in response.json()["results"]] == [items_on_each_cell[tenant.slug]]
    assert routing.current_cell() == "default"


def test_after_a_request_for_a_tenant_of_another_cell_the_thread_is_back_on_the_control_plane(west_and_east):
    _west, east = west_and_east
    Client(HTTP_HOST=host_of(east)).get("/accounts/login/")
    assert routing.current_cell() == "default"
    assert connection.schema_name == "public"
    assert Tenant.objects.filter(slug=east.slug).exists()


def test_a_task_sent_from_a_tenant_of_another_cell_runs_there(west_and_east):
    from tenants.tasks import describe_current_schema

    _west, east = west_and_east
    with routing.tenant_on_cell(east):
        result = describe_current_schema.apply()
    assert result.get() == {"schema": east.schema_name, "user_emails": [f"boss@{east.slug}.test"]}
    assert routing.current_cell() == "default"


def test_a_task_sent_from_the_control_plane_for_a_tenant_of_another_cell_switches_to_its_cell(west_and_east):
    from tenants.tasks import describe_current_schema

    _west, east = west_and_east
    result = describe_current_schema.apply(headers={"_schema_name": east.schema_name})
    assert result.get() == {"schema": east.schema_name, "user_emails": [f"boss@{east.slug}.test"]}
    assert routing.current_cell() == "default"
