"""Shared plumbing for the benchmark scripts: a private database per benchmark, timing helpers."""

from __future__ import annotations

import contextlib
import os
import secrets
import socket
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
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


def bench_api_key(tenant) -> str:
    """A read-only API key of a `bench` user in `tenant`, whose item list holds 20 items (Django set up)."""
    from django.contrib.auth import get_user_model
    from django_tenants.utils import tenant_context

    from access.services import api_key_create
    from inventory.models import UnitOfMeasure
    from inventory.services import item_create

    with tenant_context(tenant):
        user = get_user_model().objects.create_user(username="bench", password=None)
        unit = UnitOfMeasure.objects.get_or_create(code="pcs", defaults={"name": "Pieces"})[0]
        for n in range(20):
            item_create(sku=f"B-{n:03d}", name=f"Bench item {n}", uom=unit, user=user)
        return api_key_create(name="bench", scope="read_only", user=user, created_by=None).key


@contextlib.contextmanager
def served(env: dict[str, str], gunicorn_args: list[str], *, edge: bool, name: str) -> Iterator[tuple[int, int, bool]]:
    """gunicorn on loopback (start_gunicorn), behind the nginx edge as `make run` serves when `edge` and nginx is on
    the machine; yields (the port clients use, gunicorn's pid, whether the edge is in front), stops both after.
    The edge logs to bench/results/<name>-nginx.log and keeps its files in bench/results/<name>-edge."""
    from erp.localservices import nginx_binary
    from tenants.edge import write_config

    server = proxy = None
    LOG_DIR.mkdir(parents=True, exist_ok=True)
    edge_log = open(LOG_DIR / f"{name}-nginx.log", "wb")  # noqa: SIM115 (closed in the finally below)
    try:
        port = free_port()
        server = start_gunicorn(port, env, gunicorn_args)
        nginx = nginx_binary() if edge else None
        if nginx:
            edge_port = free_port()
            edge_config = write_config(
                listen=f"127.0.0.1:{edge_port}", upstream=f"127.0.0.1:{port}", run_dir=LOG_DIR / f"{name}-edge"
            )
            proxy = subprocess.Popen([nginx, "-c", str(edge_config), "-g", "daemon off;"], stderr=edge_log)
            wait_for_port(edge_port)
            port = edge_port
        yield port, server.pid, bool(nginx)
    finally:
        for process in (proxy, server):
            if process is not None:
                process.terminate()
                process.wait(timeout=20)
        edge_log.close()


def pace(rate: float, seconds: float, threads: int, call: Callable[[int], None]) -> None:
    """Call `call(n)` for n in 0 .. rate * seconds, the n-th at `n / rate` s from now, from `threads` threads; calls
    not begun 2 s past the end are dropped (the server could not keep up)."""
    total = int(rate * seconds)
    start = time.monotonic() + 0.05
    stop_at = start + seconds + 2

    def worker(index: int) -> None:
        for n in range(index, total, threads):
            delay = start + n / rate - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            if time.monotonic() > stop_at:
                return
            call(n)

    pool = [threading.Thread(target=worker, args=(i,)) for i in range(threads)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join()
