"""A bounded retry of a whole transaction that lost a deadlock or a serialization conflict.

PostgreSQL breaks a deadlock by aborting one of the transactions (40P01) and refuses some concurrent updates under
stricter isolation (40001); the work is then undone and can simply be run again. `retry_on_conflict` does that at
a service's boundary: it re-runs the decorated function, with a short jittered back-off, when it raised such an
error, a few times, then gives up with `TransientConflict` (a domain error: the API answers 503 with Retry-After,
forms show it, never a 500).

It only retries the outermost transaction: called inside an open `transaction.atomic` (a service called by another
service, an idempotent API create, a test's transaction) it runs the function once and lets the error travel up to
the boundary that owns the transaction, because a savepoint cannot be retried on its own once PostgreSQL aborted
the transaction around it. It opens no transaction of its own: a single-statement service stays one round trip.
A rerun gets the same arguments again: pass lists, not iterators a first run would have used up.

The lock order that keeps deadlocks away in the first place is written down in `inventory.services.locking`.
"""

from __future__ import annotations

import functools
import logging
import random
import time
from collections.abc import Callable

from django.db import DatabaseError, transaction

from core.errors import TransientConflict

logger = logging.getLogger(__name__)

# SQLSTATEs of a transaction PostgreSQL rolled back because of another one: running it again is the remedy.
TRANSIENT_SQLSTATES = frozenset({"40P01", "40001"})  # deadlock_detected, serialization_failure
ATTEMPTS = 5  # the first run and up to four retries
BACKOFF_SECONDS = 0.02  # the n-th retry waits a random time up to BACKOFF_SECONDS * 2**n


def is_transient(exc: BaseException) -> bool:
    """Whether `exc` (Django's wrapper or the driver's own error) is a deadlock or a serialization failure."""
    return _sqlstate(exc) in TRANSIENT_SQLSTATES


def conflict_error(exc: BaseException, attempts: int) -> TransientConflict:
    what = "a deadlock" if _sqlstate(exc) == "40P01" else "a conflict"
    return TransientConflict(
        f"the operation lost {what} with concurrent writers {attempts} times in a row and was not done; "
        "nothing was written: try again in a moment"
    )


def _sqlstate(exc: BaseException) -> str | None:
    seen: BaseException | None = exc
    while seen is not None:
        if getattr(seen, "sqlstate", None):
            return seen.sqlstate  # type: ignore[attr-defined]
        seen = seen.__cause__
    return None


def retry_on_conflict[**P, R](fn: Callable[P, R]) -> Callable[P, R]:
    """Decorate a service whose outermost `transaction.atomic` (or single statement) may lose a deadlock: run it
    again, up to ATTEMPTS runs in all, then raise `TransientConflict`. Inside an open transaction: one run."""

    @functools.wraps(fn)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        if transaction.get_connection().in_atomic_block:
            return fn(*args, **kwargs)  # nested: the owner of the open transaction retries it
        attempts = ATTEMPTS
        for attempt in range(1, attempts + 1):
            try:
                return fn(*args, **kwargs)
            except DatabaseError as exc:
                if not is_transient(exc):
                    raise
                if attempt == attempts:
                    logger.warning("%s gave up after %d runs: %s", fn.__qualname__, attempts, exc)
                    raise conflict_error(exc, attempts) from exc
                logger.info("%s run %d lost a conflict, running it again: %s", fn.__qualname__, attempt, exc)
                time.sleep(random.uniform(0, BACKOFF_SECONDS * 2**attempt))
        raise AssertionError("unreachable")  # pragma: no cover

    return wrapper
