"""Fuzz the integrator API from its own OpenAPI schema (/api/schema/): no input may cause a 5xx.

Schemathesis generates requests for every operation and sends them in-process through the WSGI application on acme's
host, authenticated with a read-write API key of acme's admin. Each request runs in a savepoint that is rolled back,
so one case never sees another's writes (or a broken transaction). Bounded: FUZZ_EXAMPLES cases per operation.
"""

import os
from collections import Counter

import pytest
import schemathesis
from django.contrib.auth import get_user_model
from django.core.signals import request_finished, request_started
from django.db import close_old_connections, connection, transaction
from django_tenants.utils import tenant_context
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from schemathesis.checks import not_a_server_error

from access.models import ApiKey
from access.services import api_key_create
from erp.wsgi import application
from tests.conftest import host_of

FUZZ_EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "8"))


@pytest.fixture
def wsgi_in_test_transaction():
    """Let the WSGI handler run inside the test's transaction (as django.test.Client does)."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def acme_headers(acme, wsgi_in_test_transaction) -> dict[str, str]:
    with tenant_context(acme):
        boss = get_user_model().objects.get(username="boss")
        key = api_key_create(name="fuzz", scope=ApiKey.Scope.READ_WRITE, user=boss, created_by=boss).key
    connection.set_schema_to_public()
    return {"Host": host_of(acme), "Authorization": f"Api-Key {key}"}


def test_no_input_makes_the_api_fail(acme_headers):
    # Driven by hand: schemathesis' pytest plugin (4.32) does not run under pytest 9 (Function has no `_nodeid`).
    api_schema = schemathesis.openapi.from_wsgi("/api/schema/?format=json", application, headers=acme_headers)
    failures: list[str] = []
    statuses: Counter[int] = Counter()
    operations = 0
    for result in api_schema.get_all_operations():
        operation = result.ok()
        operations += 1

        @hypothesis_settings(
            max_examples=FUZZ_EXAMPLES,
            deadline=None,
            derandomize=True,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        @given(case=operation.as_strategy())
        def fuzz(case) -> None:
            sid = transaction.savepoint_create()
            try:
                response = case.call(headers=acme_headers)
                statuses[response.status_code] += 1
                case.validate_response(response, checks=[not_a_server_error])
            finally:
                transaction.savepoint_rollback(sid)
                connection.set_schema_to_public()

        try:
            fuzz()
        except Exception as exc:  # hypothesis re-raises the first failing, shrunk case
            failures.append(f"{operation.method.upper()} {operation.path}: {str(exc)[:1500]}")
    print(f"fuzzed {operations} operations with {sum(statuses.values())} requests: {dict(sorted(statuses.items()))}")
    assert operations > 30
    assert sum(n for status, n in statuses.items() if status < 300) > operations  # authenticated, not all refused
    assert not failures, f"{len(failures)} operation(s) answered 5xx:\n" + "\n\n".join(failures)
