"""Settings of the test suite (pyproject.toml): the product's own, with DEBUG off as in production, over plain http.

Put in the environment before erp.settings reads it, so the servers and commands tests start in subprocesses
(gunicorn, Celery workers, manage.py; pytest-xdist workers) get the same: a random key per run unless SECRET_KEY is
given, and HTTPS_ONLY off (the test client and the test servers speak plain http).
"""

import os
import secrets

os.environ.setdefault("SECRET_KEY", f"test-only-{secrets.token_urlsafe(48)}")
os.environ.setdefault("HTTPS_ONLY", "false")

from erp.settings import *  # noqa: F403

# PBKDF2 at production strength costs ~0.5 s per hash, and the suite hashes a password for every user a factory makes
# and every tenant it provisions (Django's advice for tests: a fast hasher). PBKDF2 stays listed, so a production
# hash still verifies; tests of hashing cost (tests/security/test_auth_lockout.py) set their own list.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher", "django.contrib.auth.hashers.PBKDF2PasswordHasher"]

# A process re-reads the registry version on the first request after each recheck interval: one extra query that would
# land at random in the tests that pin a request's query count. Tests of the bound set the production interval
# themselves (tests/tenants/test_registry_version.py).
TENANT_ROUTING_RECHECK_SECONDS = float(os.environ.get("TENANT_ROUTING_RECHECK_SECONDS", 3600))

# Each xdist worker has a test database of its own, so its registry changes concern it alone: another worker's tenant
# provisioning must not drop this worker's routing cache mid-test (an extra lookup broke query-count pins at random).
# Servers and workers a test starts inherit PYTEST_XDIST_WORKER, so they listen on the same channel.
TENANT_ROUTING_CHANNEL = f"{TENANT_ROUTING_CHANNEL}:{os.environ.get('PYTEST_XDIST_WORKER', 'main')}"  # noqa: F405
