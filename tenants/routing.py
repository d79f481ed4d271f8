"""Host -> tenant resolution with an in-process cache that is invalidated, never waited out.

Every web process keeps a small dict of host -> tenant. Two paths drop it:

- The registry version (`public.tenants_registry_version`, migration tenants 0006): PostgreSQL bumps it in the same
  commit as any change to `tenants_tenant` or `tenants_domain`, whatever made it (a service, the admin, a queryset
  `.update()`, raw SQL, a process that cannot reach Redis). Each process re-reads it at most once per
  `TENANT_ROUTING_RECHECK_SECONDS` (1 s), on the request that comes due, and drops its dict when it moved. This is
  the bound: a registry change applies in every process to every request that starts more than that long after its
  commit. It costs one primary-key read per process per interval, and nothing on the other requests.
- Redis, the accelerator: a change made through the model (signals) publishes on a Redis channel once committed;
  each process listens on that channel in a daemon thread and drops its dict at once. The dict is consulted only
  while that subscription is live: with Redis unreachable the process looks the tenant up on every request.

A lookup that races an invalidation is not stored: entries carry the generation at which their lookup started.
"""

from __future__ import annotations

import copy
import logging
import os
import threading
import time
from typing import cast

import redis
from django.conf import settings
from django.db import transaction

from cells.routing import control_alias, control_connection
from tenants.models import Domain, Tenant

logger = logging.getLogger(__name__)

_MISSING = object()
_MAX_ENTRIES = 10_000


class RoutingCache:
    def __init__(self) -> None:
        self._entries: dict[str, Tenant | None] = {}
        self._generation = 0
        self._lock = threading.Lock()
        self._live = threading.Event()
        self._listener_pid: int | None = None
        self._version: int | None = None  # the registry version the dict reflects (None: not read yet)
        self._version_due = 0.0  # time.monotonic() at which the version is read again

    @property
    def generation(self) -> int:
        return self._generation

    @property
    def is_live(self) -> bool:
        return self._live.is_set()

    def get(self, host: str) -> object:
        self._ensure_listener()
        if not self._live.is_set():
            return _MISSING
        self._recheck_version()
        return self._entries.get(host, _MISSING)

    def _recheck_version(self) -> None:
        """Drop the dict if the registry version moved; asks PostgreSQL at most once per recheck interval."""
        now = time.monotonic()
        if now < self._version_due:
            return
        self._version_due = now + settings.TENANT_ROUTING_RECHECK_SECONDS
        version = registry_version()
        if version != self._version:
            self.clear()
            self._version = version

    def put(self, host: str, tenant: Tenant | None, generation: int) -> None:
        with self._lock:
            if generation != self._generation or not self._live.is_set():
                return
            if len(self._entries) >= _MAX_ENTRIES:
                self._entries.clear()
            self._entries[host] = tenant

    def clear(self) -> None:
        with self._lock:
            self._generation += 1
            self._entries.clear()

    def expire_version_check(self) -> None:
        """Read the registry version again on the next lookup (tests, and a process that wants to be sure now)."""
        self._version_due = 0.0

    def wait_until_live(self, timeout: float = 5.0) -> bool:
        self._ensure_listener()
        return self._live.wait(timeout)

    def _ensure_listener(self) -> None:
        # One listener per process; after a fork the child starts its own.
        pid = os.getpid()
        if self._listener_pid == pid:
            return
        with self._lock:
            if self._listener_pid == pid:
                return
            self._listener_pid = pid
            self._entries.clear()
            self._live.clear()
            threading.Thread(target=self._listen, name="tenant-routing-listener", daemon=True).start()

    def _listen(self) -> None:
        backoff = 0.2
        while True:
            try:
                client = redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=2, socket_keepalive=True)
                pubsub = client.pubsub()
                pubsub.subscribe(settings.TENANT_ROUTING_CHANNEL)
                last_ping = time.monotonic()
                while True:
                    message = pubsub.get_message(timeout=5.0)
                    if message is not None:
                        if message["type"] == "subscribe":
                            self.clear()
                            self._live.set()
                            backoff = 0.2
                        elif message["type"] == "message":
                            self.clear()
                    if time.monotonic() - last_ping > 15:
                        pubsub.ping()
                        last_ping = time.monotonic()
            except Exception as exc:
                logger.warning("tenant routing cache disabled until Redis is reachable again: %s", exc)
            self._live.clear()
            self.clear()
            time.sleep(backoff)
            backoff = min(backoff * 2, 5.0)


def registry_version() -> int:
    """The registry version: bumped by PostgreSQL in the commit of any change to tenants or domains.

    Read as the login role on the public schema (the request has not switched to its tenant yet); free of any extra
    round trip for the tenant switch that follows, which the next statement carries (erp.db_backend). Always on the
    control plane, whichever cell the thread serves."""
    control = control_connection()
    control.set_schema_to_public()
    with control.cursor() as cursor:
        cursor.execute("SELECT version FROM public.tenants_registry_version WHERE id = 1")
        row = cursor.fetchone()
    return row[0] if row is not None else 0


routing_cache = RoutingCache()
_publisher: redis.Redis | None = None


def _publish_registry_change() -> None:
    global _publisher
    routing_cache.clear()
    try:
        if _publisher is None:
            _publisher = redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=2)
        _publisher.publish(settings.TENANT_ROUTING_CHANNEL, b"changed")
    except redis.RedisError as exc:
        # Listeners share this Redis: if we cannot publish, they are disconnected too and bypass their caches.
        logger.error("could not announce a tenant registry change: %s", exc)


def registry_changed() -> None:
    """Drop this process's routes now and every process's routes once the change is committed."""
    routing_cache.clear()
    transaction.on_commit(_publish_registry_change, using=control_alias())


def tenant_for_host(host: str) -> Tenant | None:
    """The tenant that owns `host`, whatever its status, or None when no tenant does."""
    cached = routing_cache.get(host)
    if cached is not _MISSING:
        return copy.copy(cast(Tenant, cached)) if cached is not None else None
    generation = routing_cache.generation
    control_connection().set_schema_to_public()  # the registry is on the control plane (cells.routers)
    domain = Domain.objects.select_related("tenant").filter(domain=host).first()
    tenant = domain.tenant if domain is not None else None
    if tenant is not None:
        tenant.domain_url = host
    routing_cache.put(host, tenant, generation)
    return copy.copy(tenant) if tenant is not None else None
