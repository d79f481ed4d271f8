"""Moved to core.tables (issue 19); this re-export goes once every branch imports from core."""

from core.tables import Column, TableSort, table_sort  # noqa: F401
