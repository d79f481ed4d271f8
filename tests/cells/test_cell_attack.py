"""The isolation attack suite across cells: tests/security/test_isolation_attack.py's machinery (every URL of a tenant
host, every method, the victim's object ids, its marker) with attacker and victim on different PostgreSQL servers.

- The victim on cell `east`, the attacker (globex) on `default`: globex's session replayed on the victim's host (the
  whole walk: UI, API, admin), globex's JWT and API key there (where an Authorization header is read: the API and
  /healthz; the single-cell suite sends them everywhere), and globex on its own host with the victim's ids (UI and API:
  the admin's pages of its own tenant name ids through the same lookups).
- The reverse: the victim (acme) on `default`, the attacker on `east`: its session replayed on acme's host (UI and
  API), its JWT and API key there (the API and /healthz).

Cell `east` is held in one transaction per test, as pytest-django holds `default`, so each attempt's writes on either
server are counted there (PostgreSQL's per-transaction table statistics) and rolled back. Basic auth, the slowest
attacker (a password check per request), is left to the single-cell suite: it reads the same user table a session or
token lookup reads on the victim's cell. About 7,700 attempts; under a minute and a
half with the second server's start.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.contrib.auth.models import Group
from django.db import transaction
from django.http import HttpResponse
from django.test import Client
from django.urls import path as url_path

from cells import routing
from inventory.models import Item
from tests.cells.conftest import CELL, drop, provision
from tests.conftest import host_of
from tests.security.test_isolation_attack import (
    MARKER,
    Attacker,
    attack_paths,
    attacker_credentials,
    check,
    prepare_victim,
    run_attacks,
    session_client,
    session_of,
    victim_ids,
    victim_row_counts,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def east_tenants(cells_configured, django_db_blocker) -> Iterator[dict]:
    """A victim and an attacker provisioned (committed) on cell `east`."""
    with django_db_blocker.unblock():
        tenants = {"victim": provision("victim", cell=CELL), "attacker": provision("mallory", cell=CELL)}
    yield tenants
    with django_db_blocker.unblock():
        for tenant in tenants.values():
            drop(tenant)


@pytest.fixture
def east_transaction(cells_configured) -> Iterator[None]:
    """Cell `east` in one transaction for the test (this thread's connection there, which its requests use too):
    whatever the test and its requests write there is rolled back."""
    with routing.on_cell(CELL):
        block = transaction.atomic()
        block.__enter__()
    try:
        yield
    finally:
        with routing.on_cell(CELL):
            transaction.set_rollback(True)
            block.__exit__(None, None, None)


@pytest.fixture
def victim_on_east(east_tenants, east_transaction):
    prepare_victim(east_tenants["victim"])
    return east_tenants["victim"]


@pytest.fixture
def acme_victim(acme):
    prepare_victim(acme)
    return acme


@pytest.fixture
def globex_session(globex) -> str:
    return session_of(globex)


@pytest.fixture
def attacker_on_east(east_tenants, east_transaction):
    return east_tenants["attacker"]


def _token_attackers(host: str, credentials: dict[str, str], label: str, cell: str) -> list[Attacker]:
    return [
        Attacker(
            f"{label} {kind}",
            host,
            lambda: Client(HTTP_HOST=host, raise_request_exception=False),
            {"Authorization": header},
            True,
            cell,
        )
        for kind, header in credentials.items()
    ]


def _token_paths(paths: list[str]) -> list[str]:
    """Where an Authorization header is read: the API (DRF authentication) and /healthz (an operations token)."""
    return [path for path in paths if path.startswith(("/api/", "/healthz"))]


def _ui_and_api(paths: list[str]) -> list[str]:
    return [path for path in paths if not path.startswith("/admin/")]


def test_the_walk_fills_every_url_with_objects_of_the_victim_on_the_other_cell(victim_on_east):
    ids = victim_ids(victim_on_east)
    with routing.tenant_on_cell(victim_on_east):
        assert Item.objects.get(pk=ids[Item]).sku.startswith(MARKER)
    paths = attack_paths(ids)
    assert f"/api/v1/items/{ids[Item]}/" in paths
    assert any(p.startswith(f"/admin/inventory/item/{ids[Item]}/") for p in paths)


def test_a_tenant_on_default_gets_nothing_from_a_tenant_on_another_cell_with_its_session_or_tokens(
    victim_on_east, globex, globex_session, attack_counter, settings
):
    target = victim_on_east
    host = host_of(target)
    credentials = attacker_credentials(globex, settings, basic=False)
    before = victim_row_counts(target)
    attackers = [
        Attacker("globex session replayed on east", host, session_client(host, globex_session), {}, True),
        *_token_attackers(host, credentials, "globex on east:", "default"),
    ]
    paths = attack_paths(victim_ids(target))
    findings = run_attacks(attackers[:1], paths, target, attack_counter)
    findings += run_attacks(attackers[1:], _token_paths(paths), target, attack_counter)
    check(findings)
    assert victim_row_counts(target) == before


def test_a_tenant_on_default_gets_nothing_of_a_tenant_on_another_cell_by_its_ids(
    victim_on_east, globex, globex_session, attack_counter
):
    target = victim_on_east
    host = host_of(globex)
    before = victim_row_counts(target)
    attacker = Attacker("globex on its host, east's ids", host, session_client(host, globex_session), {}, False)
    check(run_attacks([attacker], _ui_and_api(attack_paths(victim_ids(target))), target, attack_counter))
    assert victim_row_counts(target) == before


def test_a_tenant_on_another_cell_gets_nothing_from_a_tenant_on_default_with_its_session_or_tokens(
    acme_victim, attacker_on_east, attack_counter, settings
):
    acme = acme_victim
    host = host_of(acme)
    credentials = attacker_credentials(attacker_on_east, settings, basic=False)
    session = session_client(host, session_of(attacker_on_east))
    before = victim_row_counts(acme)
    paths = attack_paths(victim_ids(acme))
    replay = Attacker("east session replayed on default", host, session, {}, True, CELL)
    tokens = _token_attackers(host, credentials, "east on default:", CELL)
    findings = run_attacks([replay], _ui_and_api(paths), acme, attack_counter)
    findings += run_attacks(tokens, _token_paths(paths), acme, attack_counter)
    check(findings)
    assert victim_row_counts(acme) == before


def _planted(request):
    Group.objects.create(name=f"planted {MARKER}")
    return HttpResponse(f"{MARKER} leaked")


urlpatterns = [url_path("plant/", _planted)]  # ROOT_URLCONF of the guard below


def test_a_leak_or_a_write_on_the_victims_cell_is_a_finding(victim_on_east, globex_session, settings):
    """Guards the suite: what a request shows or writes on the second server is seen there, and rolled back."""
    settings.ROOT_URLCONF = __name__
    target = victim_on_east
    host = host_of(target)
    attacker = Attacker("guard", host, session_client(host, globex_session), {}, True)
    findings = run_attacks([attacker], ["/plant/"], target, {"attempts": 0})
    writes = [finding for finding in findings if finding.endswith("wrote row(s) in acme's schema: {'auth_group': 1}")]
    assert len(writes) == 7  # every method
    assert len([finding for finding in findings if "shows acme's data" in finding]) == 6  # HEAD has no body
    with routing.tenant_on_cell(target):
        assert not Group.objects.filter(name=f"planted {MARKER}").exists()


def test_the_attacker_on_another_cell_holds_working_credentials(attacker_on_east, settings):
    """Guards the suite: a session or token that works nowhere would make the attacks above prove nothing."""
    host = host_of(attacker_on_east)
    for kind, header in attacker_credentials(attacker_on_east, settings, basic=False).items():
        assert Client(HTTP_HOST=host).get("/api/v1/items/", headers={"Authorization": header}).status_code == 200, kind
    assert session_client(host, session_of(attacker_on_east))().get("/api/v1/items/").status_code == 200
