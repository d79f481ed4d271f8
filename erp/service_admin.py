"""Moved to core.admin (issue 19); this re-export goes once every branch imports from core."""

from core.admin import ServiceAdmin  # noqa: F401
