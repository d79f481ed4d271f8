"""Moved to core.api_fields (issue 19); this re-export goes once every branch imports from core."""

from core.api_fields import (  # noqa: F401
    IdRouter,
    PlainDecimalField,
    PlainIntegerField,
    PlainModelSerializer,
    PlainPrimaryKeyRelatedField,
)
