"""The write freeze as the web and worker processes see it: a Redis key per tenant schema, read only by requests
that write (unsafe methods) and by tenant tasks. The database enforces the same freeze by itself (the advisory lock
of cells.move.capture): the key lets a request get its 503 before it does any work, and is never the only guard.

A plain Redis key under the cache's prefix, not a cache entry: the cache's keys carry the schema that is current
when they are made (django_tenants.cache.make_key), and the mover runs on the public schema.
"""

from __future__ import annotations

import logging

import redis
from django.conf import settings

logger = logging.getLogger(__name__)

# A killed mover leaves its key behind at worst this long; the database guard went with the mover's session. A
# freeze that outlasts the key (a large tenant's verification) is still enforced by the database, whose refusals the
# middleware answers with the same 503.
FREEZE_TTL_SECONDS = 15
RETRY_AFTER_SECONDS = 2

_client: redis.Redis | None = None


def _redis() -> redis.Redis:
    global _client
    if _client is None:
        _client = redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=1, socket_timeout=1)
    return _client


def _key(schema_name: str) -> str:
    return f"{settings.CACHES['default']['KEY_PREFIX']}:cells:frozen:{schema_name}"


def freeze(schema_name: str, move_id: int) -> None:
    """Set the key; without Redis the move goes on, the database's refusals becoming the clients' 503s."""
    try:
        _redis().set(_key(schema_name), move_id, ex=FREEZE_TTL_SECONDS)
    except redis.RedisError as exc:
        logger.warning("cannot set the move freeze of %s (the database still refuses writes): %s", schema_name, exc)


def unfreeze(schema_name: str) -> None:
    """Drop the key; if Redis cannot be reached, it expires by itself within FREEZE_TTL_SECONDS."""
    try:
        _redis().delete(_key(schema_name))
    except redis.RedisError as exc:
        logger.error("cannot lift the move freeze of %s; it expires within %s s: %s", schema_name,
                     FREEZE_TTL_SECONDS, exc)  # fmt: skip


def is_frozen(schema_name: str) -> bool:
    """Whether writes to the tenant are paused for a move; False when Redis cannot say (the database still guards)."""
    try:
        return bool(_redis().exists(_key(schema_name)))
    except redis.RedisError as exc:  # an unreachable Redis must not stop writes: the database refuses them if frozen
        logger.warning("cannot read the move freeze of %s: %s", schema_name, exc)
        return False
