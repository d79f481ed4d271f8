"""Moved to core.idempotency (issue 19); this re-export goes once every branch imports from core."""

from core.idempotency import HEADER, IdempotentCreateMixin, run_once  # noqa: F401
