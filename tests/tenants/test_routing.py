import time

import pytest
import redis
from django.conf import settings
from django.contrib.auth import get_user_model
from django.test import Client
from django_tenants.utils import tenant_context

from tenants.models import Domain
from tenants.routing import routing_cache, tenant_for_host
from tenants.services import tenant_resume, tenant_suspend
from tests.conftest import host_of

# /healthz names the schema only to operations (tenants.views.health).
OPS = {"HTTP_AUTHORIZATION": "Bearer routing-test-token"}


@pytest.fixture(autouse=True)
def _healthz_token(settings):
    settings.HEALTHZ_TOKEN = "routing-test-token"


def test_each_tenant_host_is_served_from_its_own_schema(acme_client, globex_client):
    assert acme_client.get("/healthz", **OPS).json()["schema"] == "acme"
    assert globex_client.get("/healthz", **OPS).json()["schema"] == "globex"


def test_tenant_home_shows_its_own_name_and_not_the_other_tenants(acme_client):
    body = acme_client.get("/").content.decode()
    assert "Acme Test Plant" in body
    assert "Globex" not in body


def test_unknown_subdomain_gets_a_404_page_and_no_tenant_data(db):
    response = Client(HTTP_HOST=f"initech.{settings.BASE_DOMAIN}").get("/healthz")
    assert response.status_code == 404
    assert b"No workspace at initech." in response.content
    assert b"acme" not in response.content.lower()


def test_host_outside_the_base_domain_is_refused(db):
    response = Client(HTTP_HOST="acme.evil.example").get("/healthz")
    assert response.status_code == 400


def test_bare_base_domain_serves_the_public_site(db):
    response = Client(HTTP_HOST=settings.BASE_DOMAIN).get("/healthz", **OPS)
    assert response.json()["schema"] == "public"
    assert b"Manufacturing ERP" in Client(HTTP_HOST=settings.BASE_DOMAIN).get("/").content


def test_suspended_tenant_host_answers_403_with_no_data(acme, acme_client):
    assert acme_client.get("/healthz").status_code == 200  # now cached
    tenant_suspend(tenant=acme)
    response = acme_client.get("/healthz")
    assert response.status_code == 403
    assert b"suspended" in response.content
    assert b'"schema"' not in response.content


def test_resumed_tenant_host_serves_again(acme, acme_client):
    tenant_suspend(tenant=acme)
    assert acme_client.get("/healthz").status_code == 403
    tenant_resume(tenant=acme)
    assert acme_client.get("/healthz").status_code == 200


def test_cached_route_is_dropped_at_once_when_the_domain_changes(acme, acme_client):
    assert acme_client.get("/healthz").status_code == 200
    domain = Domain.objects.get(tenant=acme)
    domain.domain = f"acme-renamed.{settings.BASE_DOMAIN}"
    domain.save()
    assert acme_client.get("/healthz").status_code == 404
    assert Client(HTTP_HOST=domain.domain).get("/healthz", **OPS).json()["schema"] == "acme"


def test_repeated_requests_to_one_tenant_cost_only_the_views_own_query(acme_client, django_assert_num_queries):
    assert routing_cache.wait_until_live()
    acme_client.get("/healthz")
    with django_assert_num_queries(1):  # no domain lookup, no SET search_path: just the view's SELECT 1
        acme_client.get("/healthz")


def test_switching_tenant_adds_no_statement_the_views_query_carries_the_context(
    acme_client, globex_client, django_assert_num_queries
):
    assert routing_cache.wait_until_live()
    acme_client.get("/healthz")
    globex_client.get("/healthz")
    with django_assert_num_queries(1):  # the SET search_path/ROLE travel in the same message as the view's query
        assert acme_client.get("/healthz", **OPS).json()["schema"] == "acme"


def test_registry_change_announced_by_another_process_empties_this_process_cache(acme):
    assert routing_cache.wait_until_live()
    tenant_for_host(host_of(acme))
    generation = routing_cache.generation
    redis.Redis.from_url(settings.REDIS_URL).publish(settings.TENANT_ROUTING_CHANNEL, b"changed")
    deadline = time.monotonic() + 5
    while routing_cache.generation == generation and time.monotonic() < deadline:
        time.sleep(0.01)
    assert routing_cache.generation > generation


def test_cache_is_bypassed_while_the_invalidation_channel_is_down(acme, monkeypatch):
    assert routing_cache.wait_until_live()
    tenant_for_host(host_of(acme))
    monkeypatch.setattr(routing_cache, "_live", _DeadEvent())
    type(acme).objects.filter(pk=acme.pk).update(status=acme.Status.SUSPENDED)  # no signal: only the DB knows
    assert tenant_for_host(host_of(acme)).status == acme.Status.SUSPENDED


class _DeadEvent:
    def is_set(self) -> bool:
        return False

    def wait(self, timeout: float | None = None) -> bool:
        return False


def test_session_cookie_from_one_tenant_host_is_not_valid_on_another(acme, globex):
    acme_client = Client(HTTP_HOST=host_of(acme))
    with tenant_context(acme):
        acme_client.force_login(get_user_model().objects.get(username="boss"))
    assert acme_client.get("/admin/").status_code == 200

    intruder = Client(HTTP_HOST=host_of(globex))
    intruder.cookies = acme_client.cookies
    response = intruder.get("/admin/")
    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]


@pytest.mark.parametrize("path", ["/admin/", "/healthz"])
def test_archived_tenant_host_answers_410(acme, acme_client, path):
    type(acme).objects.filter(pk=acme.pk).update(status=acme.Status.ARCHIVED)
    routing_cache.clear()
    assert acme_client.get(path).status_code == 410


@pytest.mark.parametrize(("status", "code"), [("suspended", 403), ("archived", 410)])
def test_api_requests_of_an_inactive_tenant_get_a_json_error(acme, acme_client, status, code):
    type(acme).objects.filter(pk=acme.pk).update(status=status)
    routing_cache.clear()
    response = acme_client.get("/api/v1/items/")
    assert response.status_code == code
    assert response["Content-Type"] == "application/json"
    assert status in response.json()["detail"]
    assert acme_client.post("/api/v1/items/", {}, content_type="application/json").json()["detail"]


def test_pages_of_a_suspended_tenant_stay_html(acme, acme_client):
    type(acme).objects.filter(pk=acme.pk).update(status=acme.Status.SUSPENDED)
    routing_cache.clear()
    response = acme_client.get("/inventory/")
    assert response.status_code == 403
    assert response["Content-Type"].startswith("text/html")


def test_api_request_to_an_unknown_host_gets_a_json_404(db):
    response = Client(HTTP_HOST=f"initech.{settings.BASE_DOMAIN}").get("/api/v1/items/")
    assert response.status_code == 404
    assert response.json() == {"detail": f"No workspace at initech.{settings.BASE_DOMAIN}."}
