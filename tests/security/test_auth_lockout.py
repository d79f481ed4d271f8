"""Failed sign-ins are limited on every entry point, and a refused one is answered before any password is hashed.

Entry points: the login form, the token endpoint, the tenant admin, the operations admin (public host) and HTTP
Basic when it is turned on. Limits per tenant + username and per tenant + client address (access.signin).
"""

import base64
import logging
import statistics
import time

import pytest
from django.conf import settings as django_settings
from django.contrib.auth import authenticate, get_user_model
from django.contrib.auth.hashers import MD5PasswordHasher, PBKDF2PasswordHasher
from django.db import connection
from django.test import Client, RequestFactory
from django_tenants.utils import schema_context, tenant_context

from access import signin
from audit.models import AuditEntry
from tests.conftest import ADMIN_PASSWORD, host_of

PASSWORD = "right-password-1"
LOGIN, TOKEN, ADMIN_LOGIN = "/accounts/login/", "/api/v1/auth/token/", "/admin/login/?next=/admin/"


@pytest.fixture
def limits(settings):
    """3 failures per username, 6 per address; a first lock of 30 s. Fast hashing for the users the tests create."""
    settings.SIGNIN_FAILURES_PER_USER = 3
    settings.SIGNIN_FAILURES_PER_ADDRESS = 6
    settings.SIGNIN_LOCK_SECONDS = 30
    settings.SIGNIN_LOCK_MAX_SECONDS = 3600
    settings.PASSWORD_HASHERS = [
        "django.contrib.auth.hashers.MD5PasswordHasher",
        "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    ]
    return settings


@pytest.fixture
def hashes(monkeypatch) -> list[str]:
    """Every password hash computed (verify or encode, PBKDF2 or MD5), by hasher and method."""
    calls: list[str] = []
    for hasher in (PBKDF2PasswordHasher, MD5PasswordHasher):
        for method in ("verify", "encode"):
            real = getattr(hasher, method)

            def counted(self, *args, _real=real, _name=f"{hasher.__name__}.{method}", **kwargs):
                calls.append(_name)
                return _real(self, *args, **kwargs)

            monkeypatch.setattr(hasher, method, counted)
    return calls


def make_user(tenant, username: str = "clerk", **extra):
    with tenant_context(tenant):
        user = get_user_model().objects.create_user(username, password=PASSWORD, **extra)
    connection.set_schema_to_public()
    return user


def login_form(client: Client, username: str, password: str):
    return client.post(LOGIN, {"username": username, "password": password})


def token(client: Client, username: str, password: str):
    return client.post(TOKEN, {"username": username, "password": password}, content_type="application/json")


def basic(client: Client, username: str, password: str):
    credentials = base64.b64encode(f"{username}:{password}".encode()).decode()
    return client.get("/api/v1/items/", HTTP_AUTHORIZATION=f"Basic {credentials}")


def refused_form(response) -> bool:
    return response.status_code == 200 and b"Too many failed sign-ins" in response.content


def refused_api(response, reason: str = "Too many failed sign-ins") -> bool:
    return (
        response.status_code == 429
        and int(response["Retry-After"]) >= 1
        and response.json()["detail"].startswith(reason)
    )


def entries(tenant, action: str) -> list[AuditEntry]:
    with tenant_context(tenant):
        found = list(AuditEntry.objects.filter(action=action))
    connection.set_schema_to_public()
    return found


# --- Every entry point: after the limit, refused without hashing ----------------------------------------------------


def test_login_form_refuses_after_the_limit_without_hashing(limits, hashes, acme, acme_client):
    make_user(acme)
    for _ in range(3):
        response = login_form(acme_client, "clerk", "wrong")
        assert response.status_code == 200 and b"Too many" not in response.content
    hashes.clear()
    response = login_form(acme_client, "clerk", "wrong")
    assert refused_form(response)
    assert b"Try again in 30 seconds" in response.content
    assert b'href="/' in response.content  # the site's page with its navigation, not a bare error
    assert hashes == []


def test_token_endpoint_refuses_after_the_limit_with_429_and_no_hashing(limits, hashes, acme, acme_client):
    make_user(acme)
    assert [token(acme_client, "clerk", "wrong").status_code for _ in range(3)] == [401] * 3
    hashes.clear()
    response = token(acme_client, "clerk", "wrong")
    assert refused_api(response)
    assert 25 <= int(response["Retry-After"]) <= 30
    assert hashes == []


def test_tenant_admin_login_refuses_after_the_limit_without_hashing(limits, hashes, acme, acme_client):
    make_user(acme, "clerk", is_staff=True)
    for _ in range(3):
        acme_client.post(ADMIN_LOGIN, {"username": "clerk", "password": "wrong"})
    hashes.clear()
    response = acme_client.post(ADMIN_LOGIN, {"username": "clerk", "password": PASSWORD})
    assert refused_form(response)
    assert hashes == []


def test_operations_admin_login_refuses_after_the_limit_without_hashing(limits, hashes, db, caplog):
    with schema_context("public"):
        get_user_model().objects.create_user("ops-clerk", password=PASSWORD, is_staff=True)
    ops = Client(HTTP_HOST=django_settings.BASE_DOMAIN)
    for _ in range(3):
        ops.post(ADMIN_LOGIN, {"username": "ops-clerk", "password": "wrong"})
    hashes.clear()
    with caplog.at_level(logging.WARNING, logger="access.signin"):
        response = ops.post(ADMIN_LOGIN, {"username": "ops-clerk", "password": PASSWORD})
    assert refused_form(response)
    assert hashes == []
    refusal_lines = [r.getMessage() for r in caplog.records if "access.signin_refused" in r.getMessage()]
    assert len(refusal_lines) == 1
    assert django_settings.BASE_DOMAIN in refusal_lines[0] and "ops-clerk" in refusal_lines[0]


def test_basic_auth_when_on_refuses_after_the_limit_with_429_and_no_hashing(limits, hashes, acme, acme_client):
    limits.API_BASIC_AUTH = True
    make_user(acme)
    assert basic(acme_client, "clerk", PASSWORD).status_code == 200
    assert {basic(acme_client, "clerk", "wrong").status_code for _ in range(3)} <= {401, 403}
    hashes.clear()
    response = basic(acme_client, "clerk", PASSWORD)
    assert refused_api(response)
    assert hashes == []


# --- HTTP Basic is off by default ----------------------------------------------------------------------------------


def test_basic_auth_is_off_by_default_and_hashes_nothing(limits, hashes, acme, acme_client):
    assert django_settings.API_BASIC_AUTH is False
    make_user(acme)
    hashes.clear()
    response = basic(acme_client, "clerk", PASSWORD)
    assert response.status_code in (401, 403)
    assert hashes == []


def test_basic_auth_turned_on_signs_in(limits, acme, acme_client):
    limits.API_BASIC_AUTH = True
    make_user(acme)
    assert basic(acme_client, "clerk", PASSWORD).status_code == 200


def test_jwt_and_api_keys_work_with_basic_off(acme, acme_client):
    access = token(acme_client, "boss", ADMIN_PASSWORD).json()["access"]
    assert acme_client.get("/api/v1/items/", HTTP_AUTHORIZATION=f"Bearer {access}").status_code == 200


# --- The rules ---------------------------------------------------------------------------------------------------


def test_the_right_password_is_refused_during_a_lockout(limits, acme, acme_client):
    make_user(acme)
    for _ in range(3):
        login_form(acme_client, "clerk", "wrong")
    assert refused_form(login_form(acme_client, "clerk", PASSWORD))
    assert refused_api(token(Client(HTTP_HOST=host_of(acme), REMOTE_ADDR="198.51.100.9"), "clerk", PASSWORD))


def test_the_lock_grows_with_each_failure_after_it(limits, acme, acme_client):
    limits.SIGNIN_LOCK_SECONDS = 1
    make_user(acme)
    for _ in range(3):
        token(acme_client, "clerk", "wrong")
    assert token(acme_client, "clerk", "wrong")["Retry-After"] == "1"
    time.sleep(1.05)
    assert token(acme_client, "clerk", "wrong").status_code == 401  # the lock ended: one more try, hashed and wrong
    second = token(acme_client, "clerk", "wrong")
    assert refused_api(second) and second["Retry-After"] == "2"


def test_lock_seconds_double_up_to_the_maximum(limits):
    limits.SIGNIN_LOCK_SECONDS, limits.SIGNIN_LOCK_MAX_SECONDS = 30, 600
    assert [signin.lock_seconds(over) for over in range(7)] == [30, 60, 120, 240, 480, 600, 600]
    assert signin.lock_seconds(10_000) == 600


def test_the_same_username_on_another_tenant_is_not_locked(limits, acme, globex, acme_client, globex_client):
    make_user(acme)
    make_user(globex)
    for _ in range(3):
        login_form(acme_client, "clerk", "wrong")
    assert refused_form(login_form(acme_client, "clerk", PASSWORD))
    response = login_form(globex_client, "clerk", PASSWORD)
    assert response.status_code == 302


def test_another_address_is_not_locked_by_the_address_limit(limits, hashes, acme):
    limits.SIGNIN_FAILURES_PER_USER = 100
    make_user(acme)
    attacker = Client(HTTP_HOST=host_of(acme), REMOTE_ADDR="203.0.113.7")
    for n in range(6):
        token(attacker, f"junk-{n}", "wrong")
    hashes.clear()
    assert refused_api(token(attacker, "junk-new", "wrong"))  # a fresh junk username: refused by the address
    assert hashes == []
    colleague = Client(HTTP_HOST=host_of(acme), REMOTE_ADDR="203.0.113.8")
    assert token(colleague, "clerk", PASSWORD).status_code == 200


def test_junk_usernames_from_one_address_stop_hashing_at_the_address_limit(limits, hashes, acme, acme_client):
    limits.SIGNIN_FAILURES_PER_USER = 100
    for n in range(30):
        login_form(acme_client, f"nobody-{n}", "wrong")
    assert len(hashes) == 6  # ModelBackend hashes for a missing user too; only until the address is locked


def test_a_forwarded_address_counts_only_from_a_trusted_proxy(limits):
    factory = RequestFactory()
    direct = factory.get("/", REMOTE_ADDR="203.0.113.7", HTTP_X_FORWARDED_FOR="10.9.9.9")
    assert signin.client_address(direct) == "203.0.113.7"
    edge = factory.get("/", REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="10.9.9.9, 198.51.100.4")
    assert signin.client_address(edge) == "198.51.100.4"  # the edge appends what it saw; the left is the client's
    limits.TRUSTED_PROXIES = ["10.0.0.0/8"]
    assert signin.client_address(factory.get("/", REMOTE_ADDR="10.1.2.3", HTTP_X_FORWARDED_FOR="198.51.100.5")) == (
        "198.51.100.5"
    )


def test_a_success_clears_the_username_failures(limits, acme, acme_client):
    make_user(acme)
    for _ in range(2):
        token(acme_client, "clerk", "wrong")
    assert token(acme_client, "clerk", PASSWORD).status_code == 200
    for _ in range(2):
        assert token(acme_client, "clerk", "wrong").status_code == 401
    assert token(acme_client, "clerk", PASSWORD).status_code == 200


def test_a_refusal_costs_well_under_a_millisecond(limits, in_acme):
    request = RequestFactory().post(LOGIN, REMOTE_ADDR="192.0.2.1", HTTP_HOST=host_of(in_acme))
    for _ in range(3):
        authenticate(request, username="nobody", password="wrong")
    costs = []
    for _ in range(50):
        request = RequestFactory().post(LOGIN, REMOTE_ADDR="192.0.2.1", HTTP_HOST=host_of(in_acme))
        started = time.perf_counter()
        assert authenticate(request, username="nobody", password="wrong") is None
        costs.append(time.perf_counter() - started)
        assert signin.refusal_of(request) is not None
    assert statistics.median(costs) < 0.001  # about 0.04 ms here: the process remembers the lock it has seen


def test_a_tenant_hashes_at_most_its_concurrent_limit_and_refuses_the_rest(limits, hashes, acme, acme_client):
    make_user(acme)
    with tenant_context(acme):
        held = signin.take_hashing_slot()  # another sign-in of acme is being checked right now
    connection.set_schema_to_public()
    hashes.clear()
    response = token(acme_client, "clerk", PASSWORD)
    assert refused_api(response, "Too many sign-ins at once") and response["Retry-After"] == "1"
    assert hashes == []
    with tenant_context(acme):
        signin.give_back_hashing_slot(held)
    connection.set_schema_to_public()
    assert token(acme_client, "clerk", PASSWORD).status_code == 200


def test_a_busy_tenant_does_not_hold_up_another_tenants_sign_ins(limits, acme, globex, globex_client):
    make_user(globex)
    with tenant_context(acme):
        signin.take_hashing_slot()
    connection.set_schema_to_public()
    assert login_form(globex_client, "clerk", PASSWORD).status_code == 302


# --- Audit --------------------------------------------------------------------------------------------------------


def test_refusals_and_locks_are_audited_in_their_tenant_only(limits, acme, globex, acme_client):
    make_user(acme)
    make_user(globex)
    for _ in range(3):
        login_form(acme_client, "clerk", "wrong")
    for _ in range(5):
        login_form(acme_client, "clerk", PASSWORD)
    locked, refused = entries(acme, "access.signin_locked"), entries(acme, "access.signin_refused")
    assert len(locked) == 1 and locked[0].changes["username"] == [None, "clerk"]
    assert len(refused) == 1  # one per locked key and minute, not one per refused attempt
    assert refused[0].changes["scope"] == [None, "username"] and refused[0].changes["entry"] == [None, LOGIN]
    assert refused[0].tenant == acme.schema_name and refused[0].object_repr == "clerk"
    assert entries(globex, "access.signin_refused") == [] and entries(globex, "access.signin_locked") == []


# --- Failed API credentials count against the address; a locked address is refused before authentication -----------


def test_junk_api_credentials_lock_the_address_and_its_requests_are_refused_before_authentication(limits, acme):
    from access.services import api_key_create

    user = make_user(acme)
    with tenant_context(acme):
        key = api_key_create(name="sync", scope="read_only", user=user, created_by=None).key
    connection.set_schema_to_public()
    attacker = Client(HTTP_HOST=host_of(acme), REMOTE_ADDR="203.0.113.20")
    statuses = [attacker.get("/api/v1/items/", HTTP_AUTHORIZATION=f"Bearer junk-{n}").status_code for n in range(6)]
    assert statuses == [401] * 6
    assert refused_api(attacker.get("/api/v1/items/", HTTP_AUTHORIZATION="Api-Key also-junk"))
    # Refused before authentication: even a valid key from the locked address (everyone behind it shares the lock).
    assert refused_api(attacker.get("/api/v1/items/", HTTP_AUTHORIZATION=f"Api-Key {key}"))
    colleague = Client(HTTP_HOST=host_of(acme), REMOTE_ADDR="203.0.113.21")
    assert colleague.get("/api/v1/items/", HTTP_AUTHORIZATION=f"Api-Key {key}").status_code == 200


def test_a_signed_in_users_missing_permission_is_not_a_credential_failure(limits, acme):
    from access.services import api_key_create

    user = make_user(acme)
    with tenant_context(acme):
        key = api_key_create(name="reader", scope="read_only", user=user, created_by=None).key
    connection.set_schema_to_public()
    reader = Client(HTTP_HOST=host_of(acme), REMOTE_ADDR="203.0.113.22")
    for _ in range(8):
        assert reader.post("/api/v1/units/", {}, HTTP_AUTHORIZATION=f"Api-Key {key}").status_code == 403
    assert reader.get("/api/v1/items/", HTTP_AUTHORIZATION=f"Api-Key {key}").status_code == 200


def test_sign_in_posts_from_a_locked_address_are_refused_before_the_form(limits, hashes, acme):
    attacker = Client(HTTP_HOST=host_of(acme), REMOTE_ADDR="203.0.113.23")
    for n in range(6):
        attacker.get("/api/v1/items/", HTTP_AUTHORIZATION=f"Bearer junk-{n}")
    response = login_form(attacker, "clerk", "anything")
    assert response.status_code == 429 and int(response["Retry-After"]) >= 1
    assert b"Too many failed sign-ins for your address" in response.content
    assert hashes == []
