"""A cell behind PgBouncer in transaction pooling: cell `east` reached only through Debian's pgbouncer with ONE server
connection (tests/pgbouncer_support.py) and DATABASE_POOL_MODE=transaction. Two tenants provisioned there through the
pooler, served by requests on their hosts, share that one server connection and each sees only its own context and
data; a client of the pool that sets nothing finds neither tenant's search path nor role on it."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import environ
import psycopg
import pytest
from django.db import connection, transaction
from django.http import JsonResponse
from django.test import Client, override_settings
from django.urls import path

from cells import routing
from cells.config import CellSpec
from inventory.models import Item
from tenants import db_roles
from tests.cells.conftest import CELL, drop, provision, token_for
from tests.conftest import host_of
from tests.pgbouncer_support import pgbouncer

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def pooled(cells_configured, second_server_url, django_db_blocker) -> Iterator[dict]:
    """Cell `east` through pgbouncer (transaction pooling, one server connection); yields how to reach the pooler."""
    server = environ.Env.db_url_config(second_server_url)
    user, password = server["USER"] or "postgres", server["PASSWORD"] or ""
    with pgbouncer(host=server["HOST"], port=server["PORT"], user=user, password=password) as port:
        auth = f"{user}:{password}" if password else user
        url = f"postgres://{auth}@127.0.0.1:{port}/{server['NAME']}"
        override = override_settings(CELLS={CELL: CellSpec(CELL, url)}, DATABASE_POOL_MODE="transaction")
        override.enable()
        try:
            yield {"port": port, "user": user, "password": password, "database": server["NAME"]}
        finally:
            with django_db_blocker.unblock():
                routing.close_cell_connections()
            override.disable()


@pytest.fixture(scope="module")
def pooled_tenants(pooled, django_db_blocker):
    """Two tenants provisioned on the pooled cell (through the pooler), one item each whose SKU names its tenant."""
    from tests.inventory.factories import ItemFactory
    from tests.support import committed

    def item(tenant) -> None:
        with routing.tenant_on_cell(tenant):
            ItemFactory(sku=f"SKU-{tenant.slug}")

    with django_db_blocker.unblock():
        tenants = [provision("poola", cell=CELL), provision("poolb", cell=CELL)]
        for tenant in tenants:
            committed(lambda t=tenant: item(t))
    yield tenants
    with django_db_blocker.unblock():
        for tenant in tenants:
            drop(tenant)


def _probe(request):
    """What the request's own statements see: the server connection (backend pid), role, search path, data."""
    with transaction.atomic():  # several statements in one transaction: the context holds for each
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_backend_pid(), current_user, current_setting('search_path')")
            pid, user, search_path = cursor.fetchone()
        skus = list(Item.objects.order_by("sku").values_list("sku", flat=True))
    with connection.cursor() as cursor:  # autocommit: a transaction of its own, perhaps after another client's
        cursor.execute("SELECT current_user")
        user_after = cursor.fetchone()[0]
    return JsonResponse({"pid": pid, "user": user, "user_after": user_after, "path": search_path, "skus": skus})


urlpatterns = [path("probe", _probe)]


def _expected(tenant, database: str) -> dict:
    role = db_roles.role_name(tenant.schema_name, database)
    return {"user": role, "user_after": role, "path": f"{tenant.schema_name}, public", "skus": [f"SKU-{tenant.slug}"]}


def _raw_pool_client(pooled) -> psycopg.Connection:
    """A client of the pool that sets nothing itself: what a server connection carries shows to it."""
    return psycopg.connect(
        host="127.0.0.1",
        port=pooled["port"],
        user=pooled["user"],
        password=pooled["password"] or None,
        dbname=pooled["database"],
        autocommit=True,
        prepare_threshold=None,
    )


def _server_defaults(pooled) -> tuple[str, str]:
    with _raw_pool_client(pooled) as raw:
        user, search_path = raw.execute("SELECT current_user, current_setting('search_path')").fetchone()
    return user, search_path


def test_a_pooled_cells_connection_uses_no_server_side_cursors_or_prepared_statements(pooled, pooled_tenants):
    with routing.tenant_on_cell(pooled_tenants[0]):
        assert str(connection.settings_dict["PORT"]) == str(pooled["port"])
        assert connection.settings_dict["DISABLE_SERVER_SIDE_CURSORS"] is True
        assert connection.get_connection_params()["prepare_threshold"] is None
        assert [item.sku for item in Item.objects.iterator()] == [f"SKU-{pooled_tenants[0].slug}"]


def test_api_requests_for_two_tenants_on_a_pooled_cell_each_list_only_their_own_items(pooled_tenants):
    clients = [Client(HTTP_HOST=host_of(tenant)) for tenant in pooled_tenants]
    tokens = [token_for(client) for client in clients]
    for _ in range(3):  # interleaved: each request's transactions may take the server connection the other just used
        for tenant, client, token in zip(pooled_tenants, clients, tokens, strict=True):
            response = client.get("/api/v1/items/", HTTP_AUTHORIZATION=f"Bearer {token}")
            assert response.status_code == 200, response.content[:300]
            assert [item["sku"] for item in response.json()["results"]] == [f"SKU-{tenant.slug}"]
    assert routing.current_cell() == "default"


def test_requests_of_two_tenants_at_once_share_one_server_connection_and_each_sees_only_its_own_context(
    pooled, pooled_tenants, settings
):
    settings.ROOT_URLCONF = __name__
    seen: dict[str, list[dict]] = {tenant.slug: [] for tenant in pooled_tenants}
    errors: list[BaseException] = []
    start = threading.Barrier(len(pooled_tenants))

    def serve(tenant) -> None:
        try:
            client = Client(HTTP_HOST=host_of(tenant))
            start.wait()
            for _ in range(15):
                response = client.get("/probe")
                assert response.status_code == 200, response.content[:300]
                seen[tenant.slug].append(response.json())
        except BaseException as exc:
            errors.append(exc)
        finally:
            routing.close_cell_connections()
            connection.close()

    threads = [threading.Thread(target=serve, args=(tenant,)) for tenant in pooled_tenants]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors, errors[0]
    for tenant in pooled_tenants:
        answers = seen[tenant.slug]
        assert len(answers) == 15
        assert all({k: v for k, v in answer.items() if k != "pid"} == _expected(tenant, pooled["database"])
                   for answer in answers), answers  # fmt: skip
    pids = {answer["pid"] for answers in seen.values() for answer in answers}
    assert len(pids) == 1  # every statement of both tenants ran on the pool's one server connection


def test_after_a_tenants_requests_the_pooled_server_connection_carries_no_tenant_context(pooled, pooled_tenants):
    defaults = _server_defaults(pooled)
    for tenant in pooled_tenants:
        client = Client(HTTP_HOST=host_of(tenant))
        assert client.get("/api/v1/items/", HTTP_AUTHORIZATION=f"Bearer {token_for(client)}").status_code == 200
        assert _server_defaults(pooled) == defaults
    assert defaults[0] == pooled["user"]
    assert all(tenant.schema_name not in defaults[1] for tenant in pooled_tenants)


def test_session_level_context_would_leak_through_the_pool_so_the_mode_matters(pooled, pooled_tenants, settings):
    # The hazard the transaction mode exists for, on this cell: a plain SET sticks to the pool's server connection.
    first = pooled_tenants[0]
    settings.DATABASE_POOL_MODE = "session"
    try:
        with routing.tenant_on_cell(first), connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        user, search_path = _server_defaults(pooled)
        role = db_roles.role_name(first.schema_name, pooled["database"])
        assert (user, search_path) == (role, f"{first.schema_name}, public")
    finally:
        with _raw_pool_client(pooled) as raw:
            raw.execute("RESET ROLE")
            raw.execute("RESET search_path")
        settings.DATABASE_POOL_MODE = "transaction"
