"""Moved to core.errors / core.api (issue 19); this re-export goes once every branch imports from core."""

from core.api import api_exception_handler  # noqa: F401
from core.errors import DomainError  # noqa: F401
