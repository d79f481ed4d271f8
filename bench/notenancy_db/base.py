"""Baseline only: Django's plain PostgreSQL backend, fixed to one tenant's schema (by the connection's options), with
the `schema_name` attribute the tenant-prefixed cache key function reads. No routing, no switching, no role."""

import os

from django.db.backends.postgresql.base import DatabaseWrapper as PostgresWrapper


class DatabaseWrapper(PostgresWrapper):
    schema_name = os.environ["BENCH_FIXED_SCHEMA"]
