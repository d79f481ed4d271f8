"""Host -> tenant resolution with an in-process cache that is invalidated, never waited out.

Every web process keeps a small dict of host -> tenant. Any change to the tenant registry (status, plan, domains)
publishes on a Redis channel once committed; each process listens on that channel in a daemon thread and drops its
dict at once. The dict is consulted only while that subscription is live: if Redis is unreachable the process falls
back to a database lookup per request, so a suspension is never missed, it only gets slower.

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
from django.db import connection, transaction

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
        return self._entries.get(host, _MISSING)

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
    transaction.on_commit(_publish_registry_change)


def tenant_for_host(host: str) -> Tenant | None:
    """The tenant that owns `host`, whatever its status, or None when no tenant does."""
    cached = routing_cache.get(host)
    if cached is not _MISSING:
        return copy.copy(cast(Tenant, cached)) if cached is not None else None
    generation = routing_cache.generation
    connection.set_schema_to_public()  # type: ignore[attr-defined]  # django-tenants' wrapper
    domain = Domain.objects.select_related("tenant").filter(domain=host).first()
    tenant = domain.tenant if domain is not None else None
    if tenant is not None:
        tenant.domain_url = host
    routing_cache.put(host, tenant, generation)
    return copy.copy(tenant) if tenant is not None else None
