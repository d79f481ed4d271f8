"""The users and API keys pages (access.views): tenant admins invite, deactivate, reactivate, reset and set roles, and
create and revoke API keys; every write is audited; no one else reaches them; another tenant's ids are 404s."""

import re

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django_tenants.utils import tenant_context

from access import services as access_services
from access.models import ApiKey
from access.roles import Role, role_of
from audit.models import AuditEntry
from tests.conftest import host_of
from tests.inventory.factories import UserFactory

LINK = re.compile(r'id="set-password-link" type="text" readonly value="([^"]+)"')
KEY = re.compile(r'id="new-api-key" type="text" readonly value="([^"]+)"')


@pytest.fixture
def boss(in_acme):
    return get_user_model().objects.get(username="boss")


@pytest.fixture
def admin_client(acme, acme_client, boss):
    with tenant_context(acme):
        acme_client.force_login(boss)
    return acme_client


def _invite(client: Client, **data) -> tuple[int, str]:
    response = client.post("/users/invite/", {"username": "newbie", "email": "n@acme.test", "role": "operator", **data})
    return response.status_code, response.content.decode()


def test_invite_creates_a_user_with_the_role_and_no_password(admin_client):
    status, _ = _invite(admin_client)
    assert status == 200
    newbie = get_user_model().objects.get(username="newbie")
    assert role_of(newbie) == Role.OPERATOR
    assert not newbie.has_usable_password()


def test_invite_shows_a_one_time_link_on_the_tenant_host_with_its_port(acme, boss):
    client = Client(HTTP_HOST=f"{host_of(acme)}:8443")
    with tenant_context(acme):
        client.force_login(boss)
    response = client.post("/users/invite/", {"username": "newbie", "role": "planner"})
    link = LINK.search(response.content.decode()).group(1)
    assert link.startswith(f"http://{host_of(acme)}:8443/accounts/reset/")
    assert "no-store" in response["Cache-Control"]


def test_the_invite_link_lets_the_user_choose_a_password_once(acme, admin_client):
    _, page = _invite(admin_client)
    path = LINK.search(page).group(1).split(host_of(acme), 1)[1]
    newcomer = Client(HTTP_HOST=host_of(acme))
    form_page = newcomer.get(path, follow=True)
    assert form_page.status_code == 200
    done = newcomer.post(
        form_page.redirect_chain[-1][0],
        {"new_password1": "a-long-new-passphrase-9", "new_password2": "a-long-new-passphrase-9"},
    )
    assert done.status_code == 302
    assert newcomer.login(username="newbie", password="a-long-new-passphrase-9")
    again = Client(HTTP_HOST=host_of(acme)).get(path, follow=True)
    assert "new_password1" not in again.content.decode()  # the link is spent


def test_invite_is_audited_without_the_link(admin_client):
    _, page = _invite(admin_client)
    token = LINK.search(page).group(1).rstrip("/").rsplit("/", 1)[1]
    entries = AuditEntry.objects.filter(object_type="auth.user", object_repr="newbie")
    assert {"access.user_create", "access.user_role_set"} <= set(entries.values_list("action", flat=True))
    assert all(token not in str(entry.changes) for entry in entries)


def test_invite_of_a_taken_username_is_a_400_by_the_field(admin_client):
    UserFactory(username="newbie")
    status, page = _invite(admin_client, username="NEWBIE")
    assert status == 400
    assert "a user named NEWBIE already exists" in page
    assert 'value="NEWBIE"' in page


def test_invite_with_a_bad_email_is_a_400_and_creates_no_one(admin_client):
    status, page = _invite(admin_client, email="not-an-email")
    assert status == 400
    assert "Enter a valid email address." in page
    assert not get_user_model().objects.filter(username="newbie").exists()


def test_invite_with_an_unknown_role_is_a_400(admin_client):
    status, _ = _invite(admin_client, role="emperor")
    assert status == 400


def test_deactivate_stops_sign_in_and_is_audited(acme, admin_client):
    clerk = UserFactory(username="clerk-d")
    assert admin_client.post(f"/users/{clerk.pk}/active/", {"active": "0"}).status_code == 302
    clerk.refresh_from_db()
    assert not clerk.is_active
    assert not Client(HTTP_HOST=host_of(acme)).login(username="clerk-d", password="correct-horse-battery")
    entry = AuditEntry.objects.get(action="access.user_update", object_id=str(clerk.pk))
    assert entry.changes == {"is_active": [True, False]}


def test_deactivated_users_are_listed_and_reactivated(admin_client):
    clerk = UserFactory(username="clerk-r", is_active=False)
    page = admin_client.get("/users/").content.decode()
    assert "clerk-r" in page and "Reactivate clerk-r" in page
    admin_client.post(f"/users/{clerk.pk}/active/", {"active": "1"})
    clerk.refresh_from_db()
    assert clerk.is_active


def test_an_admin_cannot_deactivate_themselves(admin_client, boss):
    response = admin_client.post(f"/users/{boss.pk}/active/", {"active": "0"}, follow=True)
    assert "you cannot deactivate yourself" in response.content.decode()
    boss.refresh_from_db()
    assert boss.is_active


def test_password_reset_turns_off_the_old_password_and_shows_a_link(acme, admin_client):
    clerk = UserFactory(username="clerk-p")
    response = admin_client.post(f"/users/{clerk.pk}/password-reset/")
    assert LINK.search(response.content.decode())
    assert not Client(HTTP_HOST=host_of(acme)).login(username="clerk-p", password="correct-horse-battery")
    entry = AuditEntry.objects.get(action="access.user_password_reset", object_id=str(clerk.pk))
    assert entry.changes == {"password": [None, "reset"]}


def test_password_reset_of_a_deactivated_user_is_refused(admin_client):
    clerk = UserFactory(username="clerk-q", is_active=False)
    response = admin_client.post(f"/users/{clerk.pk}/password-reset/", follow=True)
    assert "reactivate them first" in response.content.decode()
    assert not AuditEntry.objects.filter(action="access.user_password_reset").exists()


@pytest.mark.parametrize("role", [Role.PLANNER, Role.OPERATOR, Role.READ_ONLY])
def test_users_and_keys_pages_are_for_admins_only(in_acme, acme, acme_client, role):
    clerk = UserFactory(username="clerk-x")
    with tenant_context(acme):
        acme_client.force_login(access_services.user_create(username=f"u-{role}", role=role, by=None))
    for method, url in [
        ("get", "/users/"),
        ("post", "/users/invite/"),
        ("post", f"/users/{clerk.pk}/active/"),
        ("post", f"/users/{clerk.pk}/password-reset/"),
        ("get", "/users/api-keys/"),
        ("post", "/users/api-keys/"),
    ]:
        assert getattr(acme_client, method)(url, {"active": "0", "name": "k"}).status_code == 403, url
    clerk.refresh_from_db()
    assert clerk.is_active and not ApiKey.objects.exists()


def _globex_user(globex):
    with tenant_context(globex):
        return UserFactory(id=987654, username="globex-only")


def test_another_tenants_user_is_not_found(acme, admin_client, globex):
    other = _globex_user(globex)
    for url in (f"/users/{other.pk}/active/", f"/users/{other.pk}/password-reset/", f"/users/{other.pk}/role/"):
        assert admin_client.post(url, {"active": "0", "role": "admin"}).status_code == 404, url
    with tenant_context(globex):
        other.refresh_from_db()
        assert other.is_active and other.has_usable_password()


def test_api_key_is_created_and_its_secret_shown_once(acme, admin_client, boss):
    response = admin_client.post("/users/api-keys/", {"name": "scanner sync", "scope": "read_only", "user": boss.pk})
    key = KEY.search(response.content.decode()).group(1)
    assert "no-store" in response["Cache-Control"]
    api_key = ApiKey.objects.get(name="scanner sync")
    assert access_services.api_key_verify(key) == api_key
    assert key not in admin_client.get("/users/api-keys/").content.decode()
    entry = AuditEntry.objects.get(action="access.api_key_create", object_id=str(api_key.pk))
    assert key not in str(entry.changes)


def test_api_key_without_a_name_is_a_400_by_the_field(admin_client, boss):
    response = admin_client.post("/users/api-keys/", {"name": "  ", "scope": "read_only", "user": boss.pk})
    assert response.status_code == 400
    assert "This field is required." in response.content.decode()
    assert not ApiKey.objects.exists()


def test_api_key_for_a_deactivated_user_cannot_be_chosen(admin_client):
    gone = UserFactory(username="gone", is_active=False)
    response = admin_client.post("/users/api-keys/", {"name": "k", "scope": "read_only", "user": gone.pk})
    assert response.status_code == 400
    assert not ApiKey.objects.exists()


def test_api_key_revoke_stops_the_key_and_is_audited(admin_client, boss):
    created = access_services.api_key_create(name="old", scope="read_only", user=boss, created_by=boss)
    assert admin_client.post(f"/users/api-keys/{created.api_key.pk}/revoke/").status_code == 302
    assert access_services.api_key_verify(created.key) is None
    assert AuditEntry.objects.filter(action="access.api_key_revoke", object_id=str(created.api_key.pk)).exists()
    assert "Revoked" in admin_client.get("/users/api-keys/").content.decode()


def test_another_tenants_api_key_is_not_found(admin_client, globex):
    with tenant_context(globex):
        owner = UserFactory(username="globex-owner")
        created = access_services.api_key_create(name="globex key", scope="read_only", user=owner, created_by=None)
        ApiKey.objects.filter(pk=created.api_key.pk).update(id=987654)
    assert admin_client.post("/users/api-keys/987654/revoke/").status_code == 404
    assert "globex key" not in admin_client.get("/users/api-keys/").content.decode()
    with tenant_context(globex):
        assert access_services.api_key_verify(created.key) is not None


def test_a_deactivated_users_open_session_and_api_key_stop_working(acme, admin_client, boss):
    clerk = UserFactory(username="clerk-s")
    key = access_services.api_key_create(name="clerk key", scope="read_only", user=clerk, created_by=boss)
    theirs = Client(HTTP_HOST=host_of(acme))
    with tenant_context(acme):
        theirs.force_login(clerk)
    assert theirs.get("/inventory/").status_code == 200
    admin_client.post(f"/users/{clerk.pk}/active/", {"active": "0"})
    assert theirs.get("/inventory/").status_code == 302  # back to sign-in
    api = Client(HTTP_HOST=host_of(acme)).get("/api/v1/items/", headers={"Authorization": f"Api-Key {key.key}"})
    assert api.status_code in (401, 403)
