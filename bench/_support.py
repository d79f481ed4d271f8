"""Shared plumbing for the benchmark scripts: a private database per benchmark, timing helpers."""

from __future__ import annotations

import os
import statistics
import sys
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

REPO = Path(__file__).resolve().parent.parent


def use_private_database(name: str) -> str:
    """Point DATABASE_URL at a freshly created database `name` on the configured server; returns the URL."""
    import psycopg

    base = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/erp")
    parts = urlsplit(base)
    admin_url = urlunsplit(parts._replace(scheme="postgresql", path="/postgres"))
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    url = urlunsplit(parts._replace(path=f"/{name}"))
    os.environ["DATABASE_URL"] = url
    return url


def drop_database(name: str) -> None:
    """Drop the benchmark's database and the tenant roles named for it (roles are cluster-wide)."""
    import psycopg
    from psycopg import sql

    sys.path.insert(0, str(REPO))
    from tenants.db_roles import role_prefix

    parts = urlsplit(os.environ["DATABASE_URL"])
    admin_url = urlunsplit(parts._replace(scheme="postgresql", path="/postgres"))
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        roles = conn.execute("SELECT rolname FROM pg_roles WHERE starts_with(rolname, %s)", [role_prefix(name)])
        for (role,) in roles.fetchall():
            conn.execute(sql.SQL("DROP ROLE {}").format(sql.Identifier(role)))


def setup_django() -> None:
    sys.path.insert(0, str(REPO))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "erp.settings")
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    import django

    django.setup()


def median(values: list[float]) -> float:
    return statistics.median(values)
