"""Shared plumbing for the benchmark scripts: a private database per benchmark, timing helpers."""

from __future__ import annotations

import contextlib
import os
import secrets
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

REPO = Path(__file__).resolve().parent.parent
LOG_DIR = REPO / "bench" / "results"
# The product runs as in production (DEBUG off), but over plain http and with a throwaway key, here and in the
# gunicorn servers and workers the benchmarks start (they inherit the environment).
os.environ.setdefault("SECRET_KEY", f"bench-only-{secrets.token_urlsafe(48)}")
os.environ.setdefault("HTTPS_ONLY", "false")


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


@contextlib.contextmanager
def private_database(name: str) -> Iterator[str]:
    """A fresh database `name` for the benchmark, Django set up on it, dropped (with its tenant roles) on the way out,
    whether the benchmark finished or failed; yields its URL."""
    url = use_private_database(name)
    try:
        setup_django()
        yield url
    finally:
        if "django" in sys.modules:
            from django.db import connections

            connections.close_all()
        drop_database(name)


def setup_django() -> None:
    sys.path.insert(0, str(REPO))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "erp.settings")
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    import django

    django.setup()


def median(values: list[float]) -> float:
    return statistics.median(values)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for_port(port: int, timeout: float = 30) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return True
        except OSError:
            time.sleep(0.1)
    return False


def start_gunicorn(port: int, env: dict[str, str], args: list[str] = ()) -> subprocess.Popen:
    """gunicorn on loopback with the product's settings (erp/gunicorn_conf.py) and `args` on top. Its stderr goes to
    bench/results/gunicorn-<port>.log: a pipe nobody reads fills up after some 64 KB and then blocks every worker
    that logs."""
    LOG_DIR.mkdir(parents=True, exist_ok=True)
    log_path = LOG_DIR / f"gunicorn-{port}.log"
    process = subprocess.Popen(
        [
            *(sys.executable, "-m", "gunicorn", "erp.wsgi:application", "-c", "python:erp.gunicorn_conf"),
            *("--bind", f"127.0.0.1:{port}", "--log-level", "warning", *args),
        ],
        cwd=REPO,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=open(log_path, "wb"),  # noqa: SIM115 - closed when the process ends
    )
    if wait_for_port(port):
        return process
    process.kill()
    raise RuntimeError(f"gunicorn did not start on port {port}: {log_path.read_text(errors='replace')[-2000:]}")
