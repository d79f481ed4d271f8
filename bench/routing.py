"""Cost of tenant routing: requests/s of one tenant view under gunicorn, with and without tenancy, side by side.

    .venv/bin/python bench/routing.py [--seconds 8] [--rounds 3] [--clients 4] [--workers 2]

Uses its own database (erp_bench_routing) and provisions 3 tenants. Two gunicorn servers run the same code, view,
database and worker count: one with tenancy (hosts rotating over the 3 tenants), one with tenancy removed
(bench/settings_notenancy.py: no routing middleware, search path fixed, the same tenant object handed to
templates so both render the same page). Rounds alternate between them; the
script prints the median requests/s of each and their ratio (goal >= 0.95). The view is a light signed-in page
(password change): each request loads its session and user from the tenant's schema (each host sends the session
cookie of a user of that tenant), so routing's own cost is not hidden behind a heavy page. The load is bounded:
a fixed number of client threads on loopback for a fixed time.
"""

from __future__ import annotations

import argparse
import http.client
import os
import subprocess
import threading
import time

from _support import REPO, drop_database, free_port, median, setup_django, start_gunicorn, use_private_database

DB_NAME = "erp_bench_routing"
TENANTS = ["bench-a", "bench-b", "bench-c"]
# A light signed-in page: session and user are read from the tenant schema, then a form is rendered.
VIEW = "/accounts/password_change/"
SIGNED_IN_MARKER = b'name="new_password1"'


def load(
    port: int,
    hosts: list[tuple[str, dict]],
    seconds: float,
    clients: int,
    view: str = VIEW,
    marker: bytes = SIGNED_IN_MARKER,
) -> tuple[float, int]:
    """Requests/s over `seconds` with `clients` threads, and how many responses were not a 200 showing `marker`.

    `hosts` pairs a Host header with the other headers (credentials) a client of that host sends."""
    stop_at = time.monotonic() + seconds
    counts = [0] * clients
    errors = [0] * clients

    def client(index: int) -> None:
        i = index
        while time.monotonic() < stop_at:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
            host, headers = hosts[i % len(hosts)]
            connection.request("GET", view, headers={"Host": host, **headers})
            response = connection.getresponse()
            body = response.read()
            connection.close()
            counts[index] += 1
            errors[index] += response.status != 200 or marker not in body
            if response.status != 200 and errors[index] == 1:
                print(f"  first refusal: {response.status} {body[:200]!r}")
            i += 1

    threads = [threading.Thread(target=client, args=(n,)) for n in range(clients)]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sum(counts) / (time.monotonic() - started), sum(errors)


def compare(
    *,
    view: str,
    marker: bytes,
    credentials,
    hosts: int,
    seconds: float,
    rounds: int,
    clients: int,
    workers: int,
    db_name: str = DB_NAME,
    extra_env: dict[str, str] | None = None,
    label: str = "tenancy",
) -> None:
    """Serve `view` with tenancy (rotating over `hosts` tenant hosts) and without, side by side; print the medians.

    `credentials(tenant)` runs once per tenant (in no tenant context) and returns the headers its clients send."""
    url = use_private_database(db_name)
    setup_django()
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection

    from tenants.services import schema_name_for, tenant_create

    servers: list[subprocess.Popen] = []
    try:
        call_command("migrate_schemas", shared=True, interactive=False, verbosity=0)
        headers = {}
        for slug in TENANTS:
            tenant = tenant_create(slug=slug, name=slug, admin_email=f"admin@{slug}.test", plan="premium").tenant
            headers[slug] = credentials(tenant)
            connection.set_schema_to_public()
        connection.close()

        base_env = {**os.environ, "DATABASE_URL": url, "LOG_LEVEL": "WARNING", "PYTHONPATH": str(REPO / "bench")}
        base_env.update(extra_env or {})
        tenancy_port, plain_port = free_port(), free_port()
        same_workers = ["--workers", str(workers)]
        servers.append(
            start_gunicorn(tenancy_port, {**base_env, "DJANGO_SETTINGS_MODULE": "erp.settings"}, same_workers)
        )
        plain_env = {
            **base_env,
            "DJANGO_SETTINGS_MODULE": "settings_notenancy",
            "BENCH_FIXED_SCHEMA": schema_name_for(TENANTS[0]),
        }
        servers.append(start_gunicorn(plain_port, plain_env, same_workers))
        tenant_hosts = [(f"{slug}.{settings.BASE_DOMAIN}", headers[slug]) for slug in TENANTS[:hosts]]
        plain_hosts = [("plain.example", headers[TENANTS[0]])]
        # Warm-up: imports, connections, routing cache.
        load(tenancy_port, tenant_hosts, 1.5, clients, view, marker)
        load(plain_port, plain_hosts, 1.5, clients, view, marker)

        results: dict[str, list[float]] = {label: [], "plain": []}
        for _ in range(rounds):
            for name, port, server_hosts in ((label, tenancy_port, tenant_hosts), ("plain", plain_port, plain_hosts)):
                rate, errors = load(port, server_hosts, seconds, clients, view, marker)
                if errors:
                    raise SystemExit(f"{name}: {errors} responses were not a 200 showing {marker!r}")
                results[name].append(rate)
                print(f"  {name:<8} {rate:8.1f} req/s")
        with_tenancy, plain = median(results[label]), median(results["plain"])
        print(f"view {view}: {workers} gunicorn workers, {clients} clients, {rounds} rounds of {seconds:.0f} s")
        print(f"with {label} ({hosts} host(s) rotating): median {with_tenancy:.1f} req/s")
        print(f"{label} removed:{' ' * max(1, 24 - len(label))}median {plain:.1f} req/s")
        print(f"ratio: {with_tenancy / plain:.3f}")
    finally:
        for server in servers:
            server.terminate()
            server.wait(timeout=20)
        drop_database(db_name)


def session_cookie(tenant) -> dict[str, str]:
    """Headers of a signed-in browser of a fresh user of `tenant`."""
    from django.contrib.auth import get_user_model
    from django.contrib.sessions.backends.db import SessionStore
    from django_tenants.utils import tenant_context

    with tenant_context(tenant):
        user = get_user_model().objects.create_user(username="bench", password=None)
        session = SessionStore()
        session.update(
            {
                "_auth_user_id": str(user.pk),
                "_auth_user_backend": "django.contrib.auth.backends.ModelBackend",
                "_auth_user_hash": user.get_session_auth_hash(),
            }
        )
        session.create()
        return {"Cookie": f"sessionid={session.session_key}"}


def arguments(description: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=description, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=8.0)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--hosts", type=int, default=3, choices=[1, 2, 3], help="tenant hosts to rotate over")
    return parser.parse_args()


def main() -> None:
    args = arguments(__doc__)
    compare(
        view=VIEW,
        marker=SIGNED_IN_MARKER,
        credentials=session_cookie,
        hosts=args.hosts,
        seconds=args.seconds,
        rounds=args.rounds,
        clients=args.clients,
        workers=args.workers,
    )


if __name__ == "__main__":
    main()
