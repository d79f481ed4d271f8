"""A registry change reaches every web process within TENANT_ROUTING_RECHECK_SECONDS, whatever path made it.

The routing cache of this process is warmed through real requests, then the tenant is suspended by a path that
tells nobody (a queryset `.update()` or raw SQL from another connection, or `tenant_suspend` in a process that cannot
reach Redis): the next request after the bound is refused.
"""

import os
import subprocess
import sys
import time
from pathlib import Path

import psycopg
import pytest
from django.conf import settings
from django.db import connection
from django.test import Client

from erp.localservices import free_port
from tenants.models import Tenant
from tenants.routing import registry_version, routing_cache
from tests.fleet.fleet_support import committed_db, committed_tenants

db = committed_db
pytestmark = pytest.mark.usefixtures("db")


@pytest.fixture(autouse=True)
def production_recheck_interval(settings):
    """The suite's settings recheck rarely (query-count tests); these tests are about the production bound."""
    settings.TENANT_ROUTING_RECHECK_SECONDS = 1.0


REPO = Path(__file__).resolve().parents[2]


def _other_connection() -> psycopg.Connection:
    """A second session on the test database, as another process would have."""
    db_settings = connection.settings_dict
    return psycopg.connect(
        dbname=db_settings["NAME"],
        host=db_settings["HOST"] or None,
        port=db_settings["PORT"] or None,
        user=db_settings["USER"] or None,
        autocommit=True,
    )


def _warm(client: Client) -> None:
    assert routing_cache.wait_until_live()
    routing_cache.expire_version_check()  # the version this process knows may predate the tenant's creation
    assert client.get("/healthz").status_code == 200
    assert client.get("/healthz").status_code == 200  # served from this process's cache


def _wait_out_the_bound() -> None:
    time.sleep(settings.TENANT_ROUTING_RECHECK_SECONDS + 0.1)


def test_raw_sql_suspension_of_a_cached_tenant_applies_within_the_bound(django_db_blocker):
    with committed_tenants(django_db_blocker, "reg-raw") as (tenant,):
        client = Client(HTTP_HOST=f"reg-raw.{settings.BASE_DOMAIN}")
        _warm(client)
        with _other_connection() as other:
            other.execute("UPDATE tenants_tenant SET status = 'suspended' WHERE id = %s", [tenant.pk])
        _wait_out_the_bound()
        response = client.get("/healthz")
        assert response.status_code == 403
        assert b'"schema"' not in response.content


def test_queryset_update_suspension_refuses_a_post_within_the_bound(django_db_blocker):
    with committed_tenants(django_db_blocker, "reg-upd") as (tenant,):
        client = Client(HTTP_HOST=f"reg-upd.{settings.BASE_DOMAIN}")
        _warm(client)
        Tenant.objects.filter(pk=tenant.pk).update(status=Tenant.Status.SUSPENDED)  # no signal, no Redis message
        _wait_out_the_bound()
        response = client.post("/api/v1/items/", {"sku": "X"}, content_type="application/json")
        assert response.status_code == 403


def test_suspension_by_a_process_that_cannot_reach_redis_applies_within_the_bound(django_db_blocker):
    with committed_tenants(django_db_blocker, "reg-nored"):
        client = Client(HTTP_HOST=f"reg-nored.{settings.BASE_DOMAIN}")
        _warm(client)
        db_settings = connection.settings_dict
        env = {
            **os.environ,
            "DATABASE_URL": f"postgres://{db_settings['USER']}@{db_settings['HOST']}:{db_settings['PORT']}/"
            f"{db_settings['NAME']}",
            "REDIS_URL": f"redis://127.0.0.1:{free_port()}/0",  # nothing listens there
        }
        result = subprocess.run(
            [sys.executable, "manage.py", "tenant_suspend", "reg-nored"],
            cwd=REPO, env=env, capture_output=True, text=True, timeout=120,
        )  # fmt: skip
        assert result.returncode == 0, result.stderr
        assert "could not announce" in result.stderr  # it said so, and committed all the same
        _wait_out_the_bound()
        assert client.get("/healthz").status_code == 403


def test_every_path_that_changes_the_registry_bumps_the_version(django_db_blocker):
    with committed_tenants(django_db_blocker, "reg-bump") as (tenant,):
        before = registry_version()
        with _other_connection() as other:
            other.execute("UPDATE tenants_tenant SET plan = 'premium' WHERE id = %s", [tenant.pk])
            other.execute("UPDATE tenants_domain SET is_primary = true WHERE tenant_id = %s", [tenant.pk])
        after_raw = registry_version()
        assert after_raw >= before + 2
        with _other_connection() as other, other.transaction():
            other.execute("UPDATE tenants_tenant SET plan = 'free' WHERE id = %s", [tenant.pk])
            assert registry_version() == after_raw  # not before the change is committed...
        assert registry_version() > after_raw  # ...and in the same commit as it


def test_a_cached_route_costs_no_extra_query_until_the_recheck_is_due(django_db_blocker, django_assert_num_queries):
    with committed_tenants(django_db_blocker, "reg-cost"):
        client = Client(HTTP_HOST=f"reg-cost.{settings.BASE_DOMAIN}")
        _warm(client)
        with django_assert_num_queries(1):  # the view's own query only
            client.get("/healthz")
        routing_cache.expire_version_check()
        with django_assert_num_queries(2):  # once per interval and process: the version read
            client.get("/healthz")
