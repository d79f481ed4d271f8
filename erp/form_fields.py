"""Moved to core.form_fields (issue 19); this re-export goes once every branch imports from core."""

from core.form_fields import PlainDecimalField, PlainIntegerField, PlainModelChoiceField  # noqa: F401
