"""Per-tenant API keys: hashed, shown once, revocable, read-only or read-write, managed by tenant admins only."""

import pytest
from django.contrib.auth import get_user_model
from django_tenants.utils import tenant_context

from access import services
from access.models import ApiKey
from tests.inventory.factories import UserFactory

KEYS_URL = "/api/v1/auth/api-keys/"


def key_header(key: str) -> dict[str, str]:
    return {"Authorization": f"Api-Key {key}"}


@pytest.fixture
def boss(in_acme):
    return get_user_model().objects.get(username="boss")


@pytest.fixture
def make_key(boss):
    def make(scope=ApiKey.Scope.READ_WRITE, user=None) -> str:
        return services.api_key_create(name="sync", scope=scope, user=user or boss, created_by=boss).key

    return make


@pytest.fixture
def acme_admin(acme_client, boss):
    acme_client.force_login(boss)
    return acme_client


def test_created_key_is_returned_once_and_only_its_hash_is_stored(acme_admin):
    response = acme_admin.post(KEYS_URL, {"name": "scanner", "scope": "read_only"}, content_type="application/json")
    assert response.status_code == 201
    key = response.json()["key"]
    stored = ApiKey.objects.get(pk=response.json()["id"])
    assert key not in {stored.key_hash, stored.prefix}
    assert stored.key_hash == services.hash_key(key)
    listed = acme_admin.get(KEYS_URL).json()["results"]
    assert "key" not in listed[0]
    assert key not in str(acme_admin.get(f"{KEYS_URL}{stored.pk}/").content)


def test_read_write_key_reads_and_writes(acme_client, make_key):
    key = make_key()
    assert acme_client.get("/api/v1/items/", headers=key_header(key)).status_code == 200
    response = acme_client.post(
        "/api/v1/units/", {"code": "box", "name": "Box"}, content_type="application/json", headers=key_header(key)
    )
    assert response.status_code == 201


def test_read_only_key_reads_but_cannot_write(acme_client, make_key):
    key = make_key(ApiKey.Scope.READ_ONLY)
    assert acme_client.get("/api/v1/items/", headers=key_header(key)).status_code == 200
    response = acme_client.post(
        "/api/v1/units/", {"code": "box", "name": "Box"}, content_type="application/json", headers=key_header(key)
    )
    assert response.status_code == 403
    assert response.json() == {"detail": "This API key is read-only."}


def test_revoked_key_is_refused_at_once(acme_admin, make_key):
    key = make_key()
    api_key = ApiKey.objects.get()
    assert acme_admin.post(f"{KEYS_URL}{api_key.pk}/revoke/").status_code == 200
    acme_admin.logout()
    response = acme_admin.get("/api/v1/items/", headers=key_header(key))
    assert response.status_code == 401


def test_wrong_or_malformed_key_is_a_401(acme_client, make_key):
    key = make_key()
    for bad in [key[:-1] + ("A" if key[-1] != "A" else "B"), "erp_nope", "x"]:
        assert acme_client.get("/api/v1/items/", headers=key_header(bad)).status_code == 401, bad


def test_acme_key_is_refused_on_globex(globex_client, make_key):
    key = make_key()
    assert globex_client.get("/api/v1/items/", headers=key_header(key)).status_code == 401


def test_only_tenant_admins_manage_keys(acme_client, in_acme):
    clerk = UserFactory(username="keyless-clerk")
    acme_client.force_login(clerk)
    assert acme_client.get(KEYS_URL).status_code == 403
    assert acme_client.post(KEYS_URL, {"name": "x"}, content_type="application/json").status_code == 403


def test_an_api_key_cannot_create_keys(acme_client, make_key):
    key = make_key()
    response = acme_client.post(KEYS_URL, {"name": "more"}, content_type="application/json", headers=key_header(key))
    assert response.status_code == 403


def test_admin_creates_a_key_and_sees_it_once(acme_admin, boss):
    response = acme_admin.post(
        "/admin/access/apikey/add/", {"name": "erp-sync", "scope": "read_write", "user": boss.pk}, follow=True
    )
    assert response.status_code == 200
    shown = [str(m) for m in response.context["messages"]]
    assert any("erp_" in m for m in shown)
    key = next(m for m in shown if "erp_" in m).rsplit(" ", 1)[-1]
    assert ApiKey.objects.get(name="erp-sync").key_hash == services.hash_key(key)


def test_key_of_an_acme_user_never_works_on_globex_even_with_a_same_named_user(globex, globex_client, make_key):
    with tenant_context(globex):
        assert get_user_model().objects.filter(username="boss").exists()
    assert globex_client.get("/api/v1/items/", headers=key_header(make_key())).status_code == 401
