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


def test_a_request_to_a_tenant_of_another_cell_runs_under_the_request_statement_timeout(west_and_east, settings):
    from django.http import HttpResponse
    from django.urls import path

    _west, east = west_and_east
    settings.DB_STATEMENT_TIMEOUT_MS = 1234
    seen = {}

    def probe(request):
        with connection.cursor() as cursor:
            cursor.execute("SELECT current_setting('statement_timeout'), current_database()")
            seen["timeout"], seen["database"] = cursor.fetchone()
        return HttpResponse("ok")

    settings.ROOT_URLCONF = type("Urls", (), {"urlpatterns": [path("probe", probe)]})
    response = Client(HTTP_HOST=host_of(east)).get("/probe")
    assert response.status_code == 200
    assert seen == {"timeout": "1234ms", "database": settings.CELLS[CELL].url.rsplit("/", 1)[1]}


@pytest.mark.worker
def test_a_real_worker_runs_each_task_on_the_cell_of_the_tenant_that_sent_it(west_and_east, tmp_path):
    import uuid

    from django.conf import settings as live_settings

    from tenants.tasks import describe_current_schema
    from tests.support import celery_worker, subprocess_env

    west, east = west_and_east
    queue = f"test-cells-{uuid.uuid4().hex[:8]}"
    cells = ",".join(f"{name}={spec.url}" for name, spec in live_settings.CELLS.items())
    with celery_worker([queue], tmp_path / "worker.log", env=subprocess_env(CELLS=cells), concurrency=1):
        sent = []
        for tenant in (east, west, east):  # one worker thread: to the second server, back, and there again
            with routing.tenant_on_cell(tenant):
                sent.append((tenant, describe_current_schema.apply_async(queue=queue)))
        for tenant, result in sent:
            assert result.get(timeout=60) == {"schema": tenant.schema_name, "user_emails": [f"boss@{tenant.slug}.test"]}


def test_after_a_request_on_another_cell_the_control_plane_connection_keeps_no_statement_timeout(
    west_and_east, settings
):
    _west, east = west_and_east
    settings.DB_STATEMENT_TIMEOUT_MS = 1234
    Client(HTTP_HOST=host_of(east)).get("/accounts/login/")
    assert routing.current_cell() == "default"
    assert connection.statement_timeout_ms is None


def test_a_cell_connection_left_by_a_request_keeps_no_tenant_search_path_or_role(west_and_east):
    _west, east = west_and_east
    assert Client(HTTP_HOST=host_of(east)).get("/accounts/login/").status_code == 200
    with routing.on_cell(CELL), connection.cursor() as cursor:
        cursor.execute("SELECT current_user, current_setting('search_path')")
        user, search_path = cursor.fetchone()
    assert user == "postgres"
    assert east.schema_name not in search_path
