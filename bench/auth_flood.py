"""Auth flood: tenant B's API latency alone, then while tenant A's host receives junk credentials of every kind.

    .venv/bin/python bench/auth_flood.py [--seconds 8] [--rounds 3] [--rate 200] [--kinds basic,bearer,...]
        [--no-edge] [--database NAME] [--workers N]

Uses its own database (erp_bench_auth_flood, or --database on the same server) and gunicorn on loopback, as the
product serves (erp/gunicorn_conf.py, behind the nginx edge when nginx is installed; `--no-edge` without it).
Tenant A (plan free) receives `--rate` requests/s (default 200) of made-up credentials, the kinds in turn:

- basic:  GET /api/v1/items/ with `Authorization: Basic <random user:password>` (Basic is off unless API_BASIC_AUTH)
- bearer: the same with `Authorization: Bearer <junk JWT>`
- apikey: the same with `Authorization: Api-Key <well-formed junk key>` (a database lookup by its prefix)
- form:   POST /accounts/login/ with a random username and password (and a matching CSRF cookie and field)
- token:  POST /api/v1/auth/token/ with a random username and password

Every password attempt would cost a PBKDF2 hash (0.5-1.4 s of CPU here) if nothing refused it first: the sign-in
limits (access.signin) lock A's flooding address after SIGNIN_FAILURES_PER_ADDRESS failures and then refuse before
hashing. A's client is a process of its own, sending raw bytes (as noisy_neighbour.py's flood does). Tenant B (plan
standard) sends one request at a time, paced at 20/s, to its item list with its API key.

Each round runs two phases side by side: B alone, B under A's flood. Prints each round's p95s and ratio with what
the machine's CPU did and A's statuses by kind, then the medians over the rounds: flood / alone is the goal (<= 1.2).
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import json
import multiprocessing
import os
import secrets
import socket
import statistics
import threading
import time
from collections import Counter

from _support import bench_api_key, drop_database, pace, served, setup_django, use_private_database
from noisy_neighbour import MS, CpuMeter, Phase, p95, paced

DB_NAME = "erp_bench_auth_flood"
KINDS = ("basic", "bearer", "apikey", "form", "token")
CSRF = "benchcsrf" + "x" * 23  # a 32-character CSRF secret: Django accepts it as cookie and field alike


def junk_request(kind: str, host: str) -> bytes:
    """One request of `kind` with made-up credentials, as bytes."""
    user, password = f"junk-{secrets.token_hex(4)}", secrets.token_urlsafe(12)
    head = f"Host: {host}\r\nConnection: close\r\n"
    if kind in ("basic", "bearer", "apikey"):
        credential = {
            "basic": "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode(),
            "bearer": "Bearer eyJhbGciOiJIUzI1NiJ9." + secrets.token_urlsafe(40) + "." + secrets.token_urlsafe(32),
            "apikey": f"Api-Key erp_{secrets.token_hex(6)}_{secrets.token_urlsafe(32)}",
        }[kind]
        return f"GET /api/v1/items/ HTTP/1.1\r\n{head}Authorization: {credential}\r\n\r\n".encode()
    if kind == "form":
        body = f"csrfmiddlewaretoken={CSRF}&username={user}&password={password}"
        return (
            f"POST /accounts/login/ HTTP/1.1\r\n{head}Cookie: csrftoken={CSRF}\r\n"
            f"Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {len(body)}\r\n\r\n{body}"
        ).encode()
    body = json.dumps({"username": user, "password": password})
    return (
        f"POST /api/v1/auth/token/ HTTP/1.1\r\n{head}Content-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\n\r\n{body}"
    ).encode()


def flood(port: int, host: str, kinds: tuple[str, ...], rate: float, seconds: float, threads: int) -> dict:
    """Send `rate` junk requests/s for `seconds`, the kinds in turn; {(kind, status): count}."""
    counts: Counter = Counter()
    lock = threading.Lock()

    def one(n: int) -> None:
        kind = kinds[n % len(kinds)]
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
                sock.sendall(junk_request(kind, host))
                answer = sock.recv(65536)
                while chunk := sock.recv(65536):
                    answer += chunk
            status = int(answer.split(b" ", 2)[1])
        except (OSError, IndexError, ValueError):
            status = 0  # timed out or cut off: the server could not keep up
        with lock:
            counts[(kind, status)] += 1

    pace(rate, seconds, threads, one)
    return dict(counts)


def by_kind(counts: dict) -> str:
    kinds: dict[str, list[str]] = {}
    for (kind, status), count in sorted(counts.items()):
        kinds.setdefault(kind, []).append(f"{count} x {status or 'no answer'}")
    return "; ".join(f"{kind} {', '.join(parts)}" for kind, parts in kinds.items())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=8.0)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--rate", type=float, default=200.0, help="junk requests/s at tenant A's host")
    parser.add_argument("--kinds", default=",".join(KINDS), help=f"comma-separated, of {', '.join(KINDS)}")
    parser.add_argument("--workers", type=int, help="instead of erp/gunicorn_conf.py's (2 x cores + 1)")
    parser.add_argument("--database", default=DB_NAME, help="database to create and drop on DATABASE_URL's server")
    parser.add_argument("--no-edge", action="store_true", help="serve without nginx in front, as without nginx")
    args = parser.parse_args()
    kinds = tuple(kind.strip() for kind in args.kinds.split(",") if kind.strip())
    if not kinds or set(kinds) - set(KINDS):
        raise SystemExit(f"--kinds: choose among {', '.join(KINDS)}")

    url = use_private_database(args.database)
    os.environ["TENANT_API_RATE_STANDARD"] = "1000/s"  # B's own budget never limits it; the server reads the same
    setup_django()
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection

    from tenants.services import tenant_create

    stack = contextlib.ExitStack()  # the server and its edge, stopped before the database is dropped
    try:
        call_command("migrate_schemas", shared=True, interactive=False, verbosity=0)
        noisy = tenant_create(slug="flooded-a", name="Flooded A", admin_email="a@flood.test", plan="free").tenant
        quiet = tenant_create(slug="quiet-b", name="Quiet B", admin_email="b@quiet.test", plan="standard").tenant
        quiet_key = bench_api_key(quiet)
        bench_api_key(noisy)
        connection.close()

        env = {
            **os.environ,
            "DATABASE_URL": url,
            "LOG_LEVEL": "ERROR",  # a 401/403 per junk request would be a log line each
            "CACHE_KEY_PREFIX": f"bench-auth-flood-{os.getpid()}",
        }
        workers = ["--workers", str(args.workers)] if args.workers else []
        port, server_pid, nginx = stack.enter_context(served(env, workers, edge=not args.no_edge, name="auth-flood"))
        noisy_host, quiet_host = (f"{slug}.{settings.BASE_DOMAIN}" for slug in ("flooded-a", "quiet-b"))
        paced(port, quiet_host, quiet_key, 20, 1.5, 1)  # warm-up: imports, connections, routing cache
        flood(port, noisy_host, kinds, 20, 0.5, 1)

        def phase(rate: float, label: str) -> Phase:
            """B's latencies while A's host receives `rate` junk requests/s (none: B alone), and the CPU it took."""
            with multiprocessing.get_context("fork").Pool(1) as pool:
                meter = CpuMeter(server_pid)
                junk = pool.apply_async(flood, (port, noisy_host, kinds, rate, args.seconds, 8)) if rate else None
                time.sleep(0.3)
                latencies, statuses = paced(port, quiet_host, quiet_key, 20, args.seconds - 0.6, 1)
                junk_counts = junk.get() if junk else {}
                cpu = meter.report(label, len(latencies) + sum(junk_counts.values()))
            if set(statuses) != {200}:
                raise SystemExit(f"tenant B got other answers than 200 {label}: {statuses}")
            return Phase(p95(latencies), statistics.median(latencies), junk_counts, cpu)

        print(
            f"gunicorn: erp/gunicorn_conf.py{f' --workers {args.workers}' if args.workers else ''}, "
            f"{'behind the nginx edge' if nginx else 'no edge in front'}; tenant A receives {args.rate:.0f} junk "
            f"requests/s ({', '.join(kinds)} in turn); tenant B at 20/s; {args.rounds} rounds of 2 phases x "
            f"{args.seconds:.0f} s (B alone, B under the flood at A); sign-in limits: "
            f"{settings.SIGNIN_FAILURES_PER_ADDRESS} failures per address, {settings.SIGNIN_FAILURES_PER_USER} per "
            f"username, API_BASIC_AUTH={settings.API_BASIC_AUTH}"
        )
        rounds = []
        for n in range(1, args.rounds + 1):
            alone = phase(0, "B alone")
            flooded = phase(args.rate, "B under the flood")
            rounds.append((alone, flooded))
            print(
                f"round {n}: tenant B p95 alone {alone.p95 * MS:.1f} ms (p50 {alone.p50 * MS:.1f}), under the flood "
                f"{flooded.p95 * MS:.1f} ms (p50 {flooded.p50 * MS:.1f}); ratio {flooded.p95 / alone.p95:.2f}"
            )
            print(f"  A got: {by_kind(flooded.noisy)}")
            for each in (alone, flooded):
                print(f"  {each.cpu}")
        alone_p95 = statistics.median(r[0].p95 for r in rounds)
        flood_p95 = statistics.median(r[1].p95 for r in rounds)
        ratio = statistics.median(r[1].p95 / r[0].p95 for r in rounds)
        print(
            f"tenant B p95, median of {len(rounds)} rounds: alone {alone_p95 * MS:.1f} ms, "
            f"under the flood {flood_p95 * MS:.1f} ms"
        )
        print(f"p95 ratio flood / alone (median of rounds): {ratio:.2f}  (goal <= 1.2)")
    finally:
        stack.close()
        drop_database(args.database)


if __name__ == "__main__":
    main()
