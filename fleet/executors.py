"""`migrate_schemas` executors that skip registry rows without a schema (archived tenants), named by
settings.GET_EXECUTOR_FUNCTION. Without this, migrate_schemas fails on the first archived tenant."""

from __future__ import annotations

import functools
import logging

from django.db import connection
from django_tenants.migration_executors import get_executor as stock_get_executor

logger = logging.getLogger(__name__)


def existing_schemas(names: list[str]) -> set[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT nspname FROM pg_namespace WHERE nspname = ANY(%s)", [names])
        return {row[0] for row in cursor.fetchall()}


@functools.cache
def get_executor(codename: str | None = None) -> type:
    stock = stock_get_executor(codename)

    class SkipMissingSchemas(stock):
        def run_migrations(self, tenants=None):
            names = list(tenants or [])
            present = existing_schemas(names) if names else set()
            for name in names:
                if name not in present:
                    logger.warning("migrate_schemas: schema %s does not exist (archived tenant?), skipped", name)
            return super().run_migrations(tenants=[name for name in names if name in present])

        def run_multi_type_migrations(self, tenants):
            rows = list(tenants or [])
            present = existing_schemas([row[0] for row in rows]) if rows else set()
            return super().run_multi_type_migrations(tenants=[row for row in rows if row[0] in present])

    SkipMissingSchemas.__name__ = f"SkipMissingSchemas{stock.__name__}"
    return SkipMissingSchemas
