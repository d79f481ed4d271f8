"""Secrets: no published or weak SECRET_KEY starts the product with DEBUG off, a key rotation signs nobody out, and
production settings pass `manage.py check --deploy`.

Start-up is tried in subprocesses with a controlled environment; the suite itself runs with erp.settings_test's
random key.
"""

import json
import os
import secrets
import stat
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit

import jwt
import pytest
import yaml
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core import signing
from django.core.management import CommandError, call_command
from django.test import Client
from django_tenants.utils import tenant_context

from access.jwt_keys import TenantAccessToken
from erp.localservices import local_secret_key
from erp.settings import PUBLISHED_SECRET_KEYS
from support import services as support
from tests.conftest import ADMIN_PASSWORD, host_of

OLD_DEFAULT_KEY = "dev-only-insecure-key-change-me-in-production"
REPO = Path(settings.BASE_DIR)
TOKEN_URL = "/api/v1/auth/token/"


def new_key() -> str:
    return secrets.token_urlsafe(50)


def start_up(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    """`manage.py <args>` as production starts it: erp.settings, DEBUG off, HTTPS on, nothing of the test settings."""
    base = {
        name: value
        for name, value in os.environ.items()
        if name not in {"DEBUG", "HTTPS_ONLY", "PUBLIC_PORT", "SECRET_KEY_FALLBACKS", "CSRF_TRUSTED_ORIGINS"}
    }
    # Empty rather than absent, so a developer's .env cannot fill it in (the environment wins over .env).
    environment = {**base, "DJANGO_SETTINGS_MODULE": "erp.settings", "SECRET_KEY": "", **env}
    return subprocess.run(
        [sys.executable, "manage.py", *args], env=environment, cwd=REPO, capture_output=True, text=True, timeout=120
    )


def assert_refused_with_one_line(result: subprocess.CompletedProcess[str], message: str) -> None:
    assert result.returncode != 0
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert message in lines[0]


# --- start-up refuses a missing, weak or published key -----------------------------------------------------------


def test_a_missing_secret_key_stops_start_up_with_one_line():
    assert_refused_with_one_line(start_up("check"), "SECRET_KEY is not set; with DEBUG off it needs 50+ random")


def test_a_short_secret_key_stops_start_up_with_one_line():
    assert_refused_with_one_line(start_up("check", SECRET_KEY="x" * 49), "SECRET_KEY is too weak (49 characters)")


@pytest.mark.parametrize("key", sorted(PUBLISHED_SECRET_KEYS))
def test_a_published_default_key_stops_start_up_even_with_debug_on(key):
    result = start_up("check", SECRET_KEY=key, DEBUG="true")
    assert_refused_with_one_line(result, "SECRET_KEY holds a default published in this repository")


def test_both_shipped_defaults_are_known_as_published():
    assert {OLD_DEFAULT_KEY, "compose-local-only-change-me"} <= PUBLISHED_SECRET_KEYS


def test_a_published_key_among_the_fallbacks_stops_start_up():
    result = start_up("check", SECRET_KEY=new_key(), SECRET_KEY_FALLBACKS=f"{new_key()},{OLD_DEFAULT_KEY}")
    assert_refused_with_one_line(result, "SECRET_KEY_FALLBACKS holds a default published in this repository")


def test_a_short_fallback_key_stops_start_up():
    result = start_up("check", SECRET_KEY=new_key(), SECRET_KEY_FALLBACKS="old-and-short")
    assert_refused_with_one_line(result, "SECRET_KEY_FALLBACKS is too weak (13 characters)")


def test_a_long_random_key_starts():
    result = start_up("check", SECRET_KEY=new_key())
    assert result.returncode == 0, result.stderr


# --- nothing signed with the old default key is accepted -----------------------------------------------------------


def test_a_jwt_signed_with_the_old_default_key_is_refused(acme, acme_client):
    with tenant_context(acme):
        boss = get_user_model().objects.get(username="boss")
    claims = {**TenantAccessToken.for_user(boss).payload, "tenant": acme.schema_name, "tenant_id": acme.pk}
    forged = jwt.encode(claims, OLD_DEFAULT_KEY, algorithm="HS256")
    response = acme_client.get("/api/v1/auth/api-keys/", headers={"Authorization": f"Bearer {forged}"})
    assert response.status_code == 401


@pytest.fixture
def ops_client(db) -> Client:
    ops = get_user_model().objects.create_superuser("ops-secrets", "ops@example.test", "ops-secrets-pass-1")
    client = Client(HTTP_HOST=settings.BASE_DOMAIN)
    client.force_login(ops)
    return client


def support_link(ops_client: Client, tenant) -> str:
    form = {"reason": "Ticket 1: key rotation", "minutes": 30}
    response = ops_client.post(f"/admin/tenants/tenant/{tenant.pk}/support/", form)
    assert response.status_code == 302, response.content[:500]
    location = urlsplit(response["Location"])
    return f"{location.path}?{location.query}"


def test_a_support_link_signed_with_the_old_default_key_is_refused(ops_client, acme):
    support_link(ops_client, acme)  # a live grant the forger would want
    grant = support.SupportGrant.objects.filter(tenant=acme).latest("started_at")
    forged = signing.dumps({"grant": grant.pk, "tenant": acme.schema_name}, salt=support.LINK_SALT, key=OLD_DEFAULT_KEY)
    response = Client(HTTP_HOST=host_of(acme)).get(f"/support/enter/?token={forged}")
    assert response.status_code == 403
    assert "not valid" in response.content.decode()


# --- rotation: the previous key in SECRET_KEY_FALLBACKS keeps everyone signed in -----------------------------------


@pytest.fixture
def rotate(settings):
    """Rotate: a new SECRET_KEY, the current one moved to SECRET_KEY_FALLBACKS (or dropped with keep=False)."""

    def rotate_to_new_key(*, keep: bool = True) -> None:
        previous = settings.SECRET_KEY
        settings.SECRET_KEY = new_key()
        settings.SECRET_KEY_FALLBACKS = [previous] if keep else []

    return rotate_to_new_key


def test_a_session_survives_rotation_with_the_old_key_as_fallback(acme, acme_client, rotate):
    with tenant_context(acme):
        acme_client.force_login(get_user_model().objects.get(username="boss"))
    rotate()
    assert acme_client.get("/api/v1/items/").status_code == 200


def test_a_session_ends_when_the_old_key_is_dropped(acme, acme_client, rotate):
    with tenant_context(acme):
        acme_client.force_login(get_user_model().objects.get(username="boss"))
    rotate(keep=False)
    assert acme_client.get("/api/v1/items/").status_code in {401, 403}


def test_a_support_link_survives_rotation_with_the_old_key_as_fallback(ops_client, acme, rotate):
    link = support_link(ops_client, acme)
    rotate()
    response = Client(HTTP_HOST=host_of(acme)).get(link)
    assert response.status_code == 302 and response["Location"] == "/"


def test_a_password_reset_link_survives_rotation_with_the_old_key_as_fallback(acme, rotate):
    from django.contrib.auth.tokens import default_token_generator

    with tenant_context(acme):
        boss = get_user_model().objects.get(username="boss")
        token = default_token_generator.make_token(boss)
        rotate()
        assert default_token_generator.check_token(boss, token)


def obtain(client: Client) -> dict:
    response = client.post(TOKEN_URL, {"username": "boss", "password": ADMIN_PASSWORD}, content_type="application/json")
    assert response.status_code == 200, response.content
    return response.json()


def test_a_jwt_survives_rotation_with_the_old_key_as_fallback(acme_client, rotate):
    access = obtain(acme_client)["access"]
    rotate()
    assert acme_client.get("/api/v1/items/", headers={"Authorization": f"Bearer {access}"}).status_code == 200


def test_a_jwt_is_refused_when_the_old_key_is_dropped(acme_client, rotate):
    access = obtain(acme_client)["access"]
    rotate(keep=False)
    assert acme_client.get("/api/v1/items/", headers={"Authorization": f"Bearer {access}"}).status_code == 401


def test_a_refresh_token_survives_rotation_and_gets_an_access_token_signed_with_the_new_key(acme_client, rotate):
    refresh = obtain(acme_client)["refresh"]
    rotate()
    response = acme_client.post(TOKEN_URL + "refresh/", {"refresh": refresh}, content_type="application/json")
    assert response.status_code == 200, response.content
    access = response.json()["access"]
    jwt.decode(access, settings.SECRET_KEY, algorithms=["HS256"])  # raises unless signed with the new key
    assert acme_client.get("/api/v1/items/", headers={"Authorization": f"Bearer {access}"}).status_code == 200


# --- production settings ---------------------------------------------------------------------------------------


def test_check_deploy_is_clean_with_production_settings():
    # Production sends mail (password resets); without EMAIL_URL the reset page says mail is off (mail.W001 silenced).
    production = {"SECRET_KEY": new_key(), "BASE_DOMAIN": "erp.example.com", "EMAIL_URL": "smtp://mail.example.com:587"}
    result = start_up("check", "--deploy", "--fail-level", "WARNING", **production)
    assert result.returncode == 0, result.stdout + result.stderr
    # Only HSTS preload (security.W021) is silenced: asking browsers to hard-code the domain is the operator's call.
    assert "System check identified no issues (1 silenced)." in result.stdout


def production_settings(**env: str) -> dict:
    names = ["SESSION_COOKIE_SECURE", "CSRF_COOKIE_SECURE", "SECURE_SSL_REDIRECT", "SECURE_HSTS_SECONDS"]
    names += ["SECURE_PROXY_SSL_HEADER", "CSRF_TRUSTED_ORIGINS", "AUTH_PASSWORD_VALIDATORS"]
    code = f"import json, erp.settings as s; print(json.dumps({{n: getattr(s, n) for n in {names!r}}}))"
    base = {k: v for k, v in os.environ.items() if k not in {"HTTPS_ONLY", "PUBLIC_PORT", "CSRF_TRUSTED_ORIGINS"}}
    result = subprocess.run(
        [sys.executable, "-c", code],
        env={**base, "SECRET_KEY": new_key(), "DEBUG": "false", **env},
        cwd=REPO,
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(result.stdout)


def test_with_debug_off_the_default_is_https_only():
    values = production_settings(BASE_DOMAIN="erp.example.com")
    assert values["SESSION_COOKIE_SECURE"] and values["CSRF_COOKIE_SECURE"] and values["SECURE_SSL_REDIRECT"]
    assert values["SECURE_HSTS_SECONDS"] >= 31_536_000
    assert values["SECURE_PROXY_SSL_HEADER"] == ["HTTP_X_FORWARDED_PROTO", "https"]
    assert values["CSRF_TRUSTED_ORIGINS"] == ["https://erp.example.com", "https://*.erp.example.com"]
    assert len(values["AUTH_PASSWORD_VALIDATORS"]) == 4


def test_a_local_http_stack_trusts_its_own_origins_with_the_public_port():
    values = production_settings(BASE_DOMAIN="localhost", HTTPS_ONLY="false", PUBLIC_PORT="8000")
    assert not values["SESSION_COOKIE_SECURE"] and not values["SECURE_SSL_REDIRECT"]
    assert values["CSRF_TRUSTED_ORIGINS"] == [
        "http://localhost",
        "http://localhost:8000",
        "http://*.localhost",
        "http://*.localhost:8000",
    ]


# --- demo data and local keys --------------------------------------------------------------------------------------


def test_seed_demo_refuses_with_debug_off(db):
    with pytest.raises(CommandError, match="DEBUG is off, as in production, so it refuses"):
        call_command("seed_demo")
    assert not get_user_model().objects.filter(username="ops").exists()


def test_seed_demo_runs_with_force(db, capsys):
    call_command("seed_demo", "--force")
    assert get_user_model().objects.filter(username="ops", is_superuser=True).exists()


def test_production_compose_never_seeds_and_requires_a_secret_key():
    compose = yaml.safe_load((REPO / "docker-compose.yml").read_text())
    for name, service in compose["services"].items():
        assert "seed_demo" not in str(service.get("command", "")), name
    assert compose["x-app"]["environment"]["SECRET_KEY"].startswith("${SECRET_KEY:?")
    dev = yaml.safe_load((REPO / "docker-compose.dev.yml").read_text())
    assert "seed_demo --force" in dev["services"]["setup"]["command"]  # setup seeds before it writes the edge config


def test_the_local_key_is_generated_once_and_private(tmp_path):
    path = tmp_path / "data" / "secret_key"
    key = local_secret_key(path)
    assert len(key) >= 50 and key not in PUBLISHED_SECRET_KEYS
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert local_secret_key(path) == key
    assert [p.name for p in path.parent.iterdir()] == ["secret_key"]
