"""The write freeze as the web and worker processes see it: a Redis key per tenant schema, read only by requests
that write (unsafe methods) and by tenant tasks. The database enforces the same freeze by itself (the advisory lock
of cells.move.capture): the key lets a request get its 503 before it does any work, and is never the only guard.
"""

from __future__ import annotations

import logging

from django.core.cache import cache

logger = logging.getLogger(__name__)

# A killed mover leaves its key behind at worst this long; the database guard went with the mover's session.
FREEZE_TTL_SECONDS = 60
RETRY_AFTER_SECONDS = 2


def _key(schema_name: str) -> str:
    return f"cells:frozen:{schema_name}"


def freeze(schema_name: str, move_id: int) -> None:
    cache.set(_key(schema_name), move_id, timeout=FREEZE_TTL_SECONDS)


def unfreeze(schema_name: str) -> None:
    cache.delete(_key(schema_name))


def is_frozen(schema_name: str) -> bool:
    """Whether writes to the tenant are paused for a move; False when Redis cannot say (the database still guards)."""
    try:
        return cache.get(_key(schema_name)) is not None
    except Exception as exc:  # an unreachable Redis must not stop writes: the database refuses them if frozen
        logger.warning("cannot read the move freeze of %s: %s", schema_name, exc)
        return False
