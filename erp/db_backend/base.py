"""django-tenants' PostgreSQL backend, with the tenant context (search path and PostgreSQL role) sent in the same round
trip as the query that needs it.

Stock django-tenants runs `SET search_path` as its own statement on every new cursor after a tenant change, and
forgets the path whenever `set_tenant` is called even for the schema already selected. Here:

- Re-selecting the schema the connection already uses changes nothing.
- A change is not sent at once: the next statement carries it as a prefix (`SET search_path ...; SET ROLE ...;
  <query>`, one simple-protocol message), so a tenant switch costs no extra round trip.
- With `TENANT_DB_ROLES`, a real tenant (`set_tenant(tenant)`) also switches to its PostgreSQL role; a schema picked
  by name (`set_schema`, owner tooling) and the public schema use the login role (`SET ROLE NONE`). See
  tenants.db_roles.
- `DATABASE_POOL_MODE=transaction` (PgBouncer in transaction pooling): a server connection may change between
  transactions, so the context is bound per transaction with `SET LOCAL`, sent with the first statement of every
  transaction (in autocommit, every statement; the simple protocol runs a multi-statement message as one
  transaction).

- A statement timeout (`statement_timeout_ms`, set per web request by erp.http_limits) travels the same way:
  `SET statement_timeout = N` (`SET LOCAL` per transaction in transaction pooling) joins the prefix; when it is
  lifted, a session that had one gets `SET statement_timeout = DEFAULT`, so management commands and Celery tasks
  sharing the process never inherit a request's limit.

A failed statement may have undone a session-level SET (a multi-statement message is one implicit transaction), so
any error, rollback or reconnect makes the next statement send the context again.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db.backends.postgresql.base import Cursor as DjangoCursor
from django_tenants.postgresql_backend.base import DatabaseWrapper as TenantDatabaseWrapper
from django_tenants.postgresql_backend.base import FakeTenant
from django_tenants.utils import get_public_schema_name, quote_schema_name
from psycopg import pq

from tenants import db_roles


class TenantContextCursor(DjangoCursor):
    """Prefixes the pending tenant context to the statement that needs it. Statements that cannot carry a prefix
    (non-string queries, executemany, COPY) get it sent just before them instead."""

    def execute(self, query, params=None, **kwargs):
        if not isinstance(query, str):
            self._send_pending_context()
            return super().execute(query, params, **kwargs)
        wrapper = getattr(self.connection, "tenant_wrapper", None)
        prelude = wrapper.take_tenant_prelude() if wrapper is not None else None
        if prelude is None:
            return super().execute(query, params, **kwargs)
        text = prelude.sql if params is None else prelude.sql.replace("%", "%%")
        with wrapper.resent_after_failure():
            super().execute(f"{text}; {query}", params, **kwargs)
        for _ in range(prelude.statements):
            self.nextset()
        return self

    def executemany(self, query, params_seq, **kwargs):
        self._send_pending_context()
        return super().executemany(query, params_seq, **kwargs)

    def copy(self, statement, params=None, **kwargs):
        self._send_pending_context()
        return super().copy(statement, params, **kwargs)

    def _send_pending_context(self) -> None:
        wrapper = getattr(self.connection, "tenant_wrapper", None)
        prelude = wrapper.take_tenant_prelude() if wrapper is not None else None
        if prelude is not None:
            with wrapper.resent_after_failure():
                super().execute(prelude.sql)


class _Prelude:
    __slots__ = ("sql", "statements")

    def __init__(self, sql: str, statements: int) -> None:
        self.sql = sql
        self.statements = statements


class DatabaseWrapper(TenantDatabaseWrapper):
    def __init__(self, *args, **kwargs):
        self._context_sent = False
        self._prelude_cache: tuple[tuple, _Prelude] | None = None
        self._statement_timeout_ms: int | None = None
        self._session_timeout_set = False  # a session-level timeout may be in force on this connection
        super().__init__(*args, **kwargs)

    @property
    def statement_timeout_ms(self) -> int | None:
        """Milliseconds any statement may run before PostgreSQL cancels it (None: the server's default)."""
        return self._statement_timeout_ms

    @statement_timeout_ms.setter
    def statement_timeout_ms(self, value: int | None) -> None:
        value = int(value) if value else None
        if value != self._statement_timeout_ms:
            self._statement_timeout_ms = value
            self._context_sent = False

    @property
    def per_transaction_context(self) -> bool:
        return getattr(settings, "DATABASE_POOL_MODE", "session") == "transaction"

    def get_connection_params(self):
        params = super().get_connection_params()
        params["cursor_factory"] = TenantContextCursor
        if self.per_transaction_context:
            # PgBouncer < 1.21 cannot route server-side prepared statements between server connections.
            params["prepare_threshold"] = None
        return params

    def get_new_connection(self, conn_params):
        conn = super().get_new_connection(conn_params)
        conn.tenant_wrapper = self
        self._context_sent = False
        self._session_timeout_set = False
        return conn

    def set_tenant(self, tenant, include_public: bool = True) -> None:
        unchanged = (
            self.tenant is not None
            and self.schema_name == tenant.schema_name
            and self.include_public_schema == include_public
            and self._tenant_role(self.tenant) == self._tenant_role(tenant)
        )
        self.tenant = tenant
        if not unchanged:
            super().set_tenant(tenant, include_public)
            self._context_sent = False

    @contextlib.contextmanager
    def resent_after_failure(self) -> Iterator[None]:
        """A statement that carried the context failed: it may have undone it, so the next one sends it again."""
        try:
            yield
        except BaseException:
            self._context_sent = False
            raise

    def close(self):
        self._context_sent = False
        super().close()

    def rollback(self):
        self._context_sent = False
        super().rollback()

    def savepoint_rollback(self, sid):
        try:
            super().savepoint_rollback(sid)
        finally:
            self._context_sent = False

    def _handle_search_path(self, cursor=None):
        # Upstream passes no cursor for a named (server-side) cursor, which cannot carry a prefix: send the context
        # now on a throwaway cursor. Otherwise nothing is sent here; the next statement carries it.
        if not self.schema_name:
            raise ImproperlyConfigured("Database schema not set. Did you forget to call set_schema() or set_tenant()?")
        self._get_cursor_search_paths()  # validates the names, so a bad one fails when the cursor opens
        if cursor is None:
            with self.connection.cursor() as throwaway:
                throwaway._send_pending_context()

    def take_tenant_prelude(self) -> _Prelude | None:
        """The SET statements the next statement must carry, or None; marks them as sent."""
        if self.per_transaction_context:
            status = self.connection.info.transaction_status
            if self._context_sent and status != pq.TransactionStatus.IDLE:
                return None
        elif self._context_sent:
            return None
        prelude = self._prelude()
        self._context_sent = True
        return prelude

    def _prelude(self) -> _Prelude:
        role = self._tenant_role(self.tenant)
        timeout = self._statement_timeout_ms
        per_transaction = self.per_transaction_context
        # Session level: once a timeout was set, a context without one resets it (until the connection is replaced:
        # a reset riding on a failed statement is undone with it). Per transaction, SET LOCAL ends by itself.
        reset_timeout = timeout is None and self._session_timeout_set and not per_transaction
        if timeout is not None and not per_transaction:
            self._session_timeout_set = True
        key = (self.schema_name, self.include_public_schema, role, per_transaction, timeout, reset_timeout)
        if self._prelude_cache is not None and self._prelude_cache[0] == key:
            return self._prelude_cache[1]
        scope = "LOCAL " if per_transaction else ""
        paths = ",".join(quote_schema_name(s) for s in self._get_cursor_search_paths())
        statements = [f"SET {scope}search_path = {paths}"]
        if db_roles.enabled():
            statements.append(f"SET {scope}ROLE {quote_schema_name(role) if role else 'NONE'}")
        if timeout is not None:
            statements.append(f"SET {scope}statement_timeout = {timeout:d}")
        elif reset_timeout:
            statements.append("SET statement_timeout = DEFAULT")
        prelude = _Prelude("; ".join(statements), len(statements))
        self._prelude_cache = (key, prelude)
        return prelude

    def _tenant_role(self, tenant) -> str | None:
        # Only a real tenant object switches role; `set_schema(name)` (a FakeTenant) is owner work.
        if tenant is None or isinstance(tenant, FakeTenant) or not db_roles.enabled():
            return None
        if tenant.schema_name == get_public_schema_name():
            return None
        return db_roles.role_name(tenant.schema_name, self.settings_dict["NAME"])
