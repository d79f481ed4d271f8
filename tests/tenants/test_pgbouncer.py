"""Behind PgBouncer in transaction pooling, a pooled server connection never carries one tenant's search path or role
into another tenant's statements (DATABASE_POOL_MODE=transaction binds both per transaction with SET LOCAL).

The test starts Debian's pgbouncer itself on loopback, with ONE server connection for the pool, so every client
connection shares it and any context left on it would show (tests/pgbouncer_support.py; without pgbouncer installed
the tests skip, except under CI, where they fail). tests/cells/test_cell_pgbouncer.py does the same for a second cell.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.db import connection, connections
from django.test import override_settings

from erp.db_backend.base import DatabaseWrapper
from tenants import db_roles
from tests.pgbouncer_support import pgbouncer


@pytest.fixture(scope="module")
def pgbouncer_port() -> Iterator[int]:
    settings_dict = connection.settings_dict
    with pgbouncer(
        host=settings_dict["HOST"] or "127.0.0.1",
        port=settings_dict["PORT"] or 5432,
        user=settings_dict["USER"] or "postgres",
        password=settings_dict["PASSWORD"] or "",
    ) as port:
        yield port


@pytest.fixture
def clients(pgbouncer_port, acme, globex):
    """Two Django connections of this project's backend through pgbouncer: the first as acme, the second as globex."""
    settings_dict = {**connection.settings_dict, "HOST": "127.0.0.1", "PORT": str(pgbouncer_port)}
    first, second = DatabaseWrapper(settings_dict, "bouncer_acme"), DatabaseWrapper(settings_dict, "bouncer_globex")
    # Known to the connection handler, as every connection is: django.contrib.postgres looks a new connection up by
    # its alias (hstore type handlers) when it connects.
    connections["bouncer_acme"], connections["bouncer_globex"] = first, second
    first.set_tenant(acme)
    second.set_tenant(globex)
    yield first, second
    first.close()
    second.close()
    del connections["bouncer_acme"], connections["bouncer_globex"]


def _context(wrapper: DatabaseWrapper) -> tuple[str, str, list[str]]:
    with wrapper.cursor() as cursor:
        cursor.execute("SELECT current_user, current_setting('search_path')")
        user, search_path = cursor.fetchone()
        cursor.execute("SELECT email FROM auth_user ORDER BY email")
        return user, search_path, [row[0] for row in cursor.fetchall()]


@pytest.mark.django_db
@override_settings(DATABASE_POOL_MODE="transaction")
def test_tenants_sharing_one_pooled_server_connection_each_see_only_their_own_context(clients):
    first, second = clients
    for _ in range(3):  # interleaved: each statement may land on the server connection the other just used
        assert _context(first) == (db_roles.role_name("acme"), "acme, public", ["boss@acme.test"])
        assert _context(second) == (db_roles.role_name("globex"), "globex, public", ["boss@globex.test"])


@pytest.mark.django_db
@override_settings(DATABASE_POOL_MODE="transaction")
def test_a_transaction_keeps_its_tenant_context_for_every_statement(clients):
    first, second = clients
    with first.cursor() as cursor:
        first.set_autocommit(False)
        cursor.execute("SELECT current_user")
        cursor.execute("SELECT current_setting('search_path')")
        assert cursor.fetchone() == ("acme, public",)
        first.commit()
        first.set_autocommit(True)
    assert _context(second)[0] == db_roles.role_name("globex")
    assert _context(first)[0] == db_roles.role_name("acme")  # a new transaction binds acme again


@pytest.mark.django_db
@override_settings(DATABASE_POOL_MODE="session")
def test_session_level_context_would_leak_through_the_pool_so_the_mode_matters(clients):
    # The hazard the transaction mode exists for: a plain SET sticks to whichever server connection ran it.
    first, second = clients
    _context(first)
    _context(second)
    assert _context(first)[1] == "globex, public"  # first never asked for globex, yet it is there


def _timeout(wrapper: DatabaseWrapper) -> str:
    with wrapper.cursor() as cursor:
        cursor.execute("SELECT current_setting('statement_timeout')")
        return cursor.fetchone()[0]


@pytest.mark.django_db
@override_settings(DATABASE_POOL_MODE="transaction")
def test_a_requests_statement_timeout_binds_its_own_statements_and_never_another_client_on_the_pool(clients):
    from django.db import OperationalError
    from psycopg.errors import QueryCanceled

    first, second = clients
    first.statement_timeout_ms = 150  # as erp.http_limits sets it for a web request
    for _ in range(2):  # interleaved on the one server connection
        assert _timeout(first) == "150ms"
        assert _timeout(second) == "0"
    with pytest.raises(OperationalError) as canceled, first.cursor() as cursor:
        cursor.execute("SELECT pg_sleep(1)")
    assert isinstance(canceled.value.__cause__, QueryCanceled)
    with second.cursor() as cursor:
        cursor.execute("SELECT pg_sleep(0.3), current_user")  # longer than first's limit: not first's to stop
        assert cursor.fetchone()[1] == db_roles.role_name("globex")
    assert _context(first)[0] == db_roles.role_name("acme")  # the canceled client goes on
    first.statement_timeout_ms = None
    assert _timeout(first) == "0"
