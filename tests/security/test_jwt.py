"""JWTs carry their tenant: a token minted on one tenant's host is refused (401) on another's."""

import pytest
from django.contrib.auth import get_user_model
from django_tenants.utils import tenant_context
from rest_framework_simplejwt.tokens import AccessToken

from tests.conftest import ADMIN_PASSWORD

TOKEN_URL = "/api/v1/auth/token/"


def obtain(client, username="boss", password=ADMIN_PASSWORD) -> dict:
    response = client.post(TOKEN_URL, {"username": username, "password": password}, content_type="application/json")
    assert response.status_code == 200, response.content
    return response.json()


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_token_claims_name_the_tenant_it_was_issued_on(acme, acme_client):
    claims = AccessToken(obtain(acme_client)["access"])
    assert (claims["tenant"], claims["tenant_id"]) == (acme.schema_name, acme.pk)


def test_token_works_on_its_own_tenant_host(acme_client):
    access = obtain(acme_client)["access"]
    assert acme_client.get("/api/v1/items/", headers=bearer(access)).status_code == 200


def test_token_from_globex_is_refused_on_acme_even_for_the_same_username_and_id(
    acme, globex, acme_client, globex_client
):
    with tenant_context(acme):
        acme_boss = get_user_model().objects.get(username="boss")
    with tenant_context(globex):
        globex_boss = get_user_model().objects.get(username="boss")
    assert acme_boss.pk == globex_boss.pk  # the same username and id in both schemas
    access = obtain(globex_client)["access"]
    response = acme_client.get("/api/v1/items/", headers=bearer(access))
    assert response.status_code == 401
    assert response.json() == {"detail": "Token was issued for another tenant."}
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_refresh_token_from_globex_is_refused_on_acme(acme_client, globex_client):
    refresh = obtain(globex_client)["refresh"]
    response = acme_client.post(TOKEN_URL + "refresh/", {"refresh": refresh}, content_type="application/json")
    assert response.status_code == 401


def test_refresh_on_the_same_host_gives_a_token_bound_to_it(acme, acme_client):
    refresh = obtain(acme_client)["refresh"]
    response = acme_client.post(TOKEN_URL + "refresh/", {"refresh": refresh}, content_type="application/json")
    assert response.status_code == 200
    assert AccessToken(response.json()["access"])["tenant"] == acme.schema_name


def test_a_tampered_token_is_a_401(acme_client):
    access = obtain(acme_client)["access"]
    response = acme_client.get("/api/v1/items/", headers=bearer(access[:-2] + "xx"))
    assert response.status_code == 401


@pytest.mark.parametrize("password", ["wrong", ""])
def test_wrong_password_gets_no_token(acme_client, password):
    response = acme_client.post(TOKEN_URL, {"username": "boss", "password": password}, content_type="application/json")
    assert response.status_code in {400, 401}
    assert "access" not in response.json()


def test_globex_credentials_get_no_token_on_acme(acme_client, globex):
    with tenant_context(globex):
        get_user_model().objects.create_user("only-in-globex", password="globex-pass-123")
    response = acme_client.post(
        TOKEN_URL, {"username": "only-in-globex", "password": "globex-pass-123"}, content_type="application/json"
    )
    assert response.status_code == 401


def _clerk_token(acme, acme_client) -> tuple[object, str]:
    with tenant_context(acme):  # a read-only user: reads need no capability
        clerk = get_user_model().objects.create_user(username="jwt-clerk", password=ADMIN_PASSWORD)
    return clerk, obtain(acme_client, "jwt-clerk")["access"]


def test_a_token_of_a_user_made_inactive_since_is_a_401(acme, acme_client):
    clerk, access = _clerk_token(acme, acme_client)
    assert acme_client.get("/api/v1/items/", headers=bearer(access)).status_code == 200
    with tenant_context(acme):
        get_user_model().objects.filter(pk=clerk.pk).update(is_active=False)
    assert acme_client.get("/api/v1/items/", headers=bearer(access)).status_code == 401


def test_a_token_of_a_user_deleted_since_is_a_401(acme, acme_client):
    clerk, access = _clerk_token(acme, acme_client)
    assert acme_client.get("/api/v1/items/", headers=bearer(access)).status_code == 200
    with tenant_context(acme):
        get_user_model().objects.filter(pk=clerk.pk).delete()
    assert acme_client.get("/api/v1/items/", headers=bearer(access)).status_code == 401
