"""Noisy neighbour: tenant B's API latency alone, then while tenant A floods the API at 10x its rate limit.

    .venv/bin/python bench/noisy_neighbour.py [--seconds 8] [--rounds 5] [--limit N] [--limit-multiplier 10]
        [--database NAME]
        [--workers N] [--threads N] [--worker-class sync|gthread]   (default: as erp/gunicorn_conf.py serves)

Uses its own database (erp_bench_noisy, or --database on the same server) and gunicorn on loopback. Tenant A
(plan free) has the free plan's quota as shipped (1000/min burst 20, about 16.7/s), or with `--limit N` N requests a
second in bursts of N (TENANT_API_RATE_FREE for the server); it sends 10x that (`--limit-multiplier M`: M times, e.g.
3), paced, from a process of its own, and gets 429s past its limit. Tenant B (plan standard) sends one request at a
time, paced at 20/s, to its item list. Both authenticate with their own API key.

Each round runs three phases side by side: B alone, B beside A sending exactly at its limit, B under A's flood.
Prints each round's p95s and ratios with what the machine's CPU did, then the medians over the rounds (5 by default:
one round's ratio swings with whatever else the machine does): the ratio
flood / alone is the goal (<= 1.2); at-limit / alone is what a perfect limiter would still cost B (A's allowed
requests), flood / at-limit what the refused excess costs on top.
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import multiprocessing
import os
import socket
import statistics
import threading
import time
from dataclasses import dataclass

from _support import bench_api_key, drop_database, pace, served, setup_django, use_private_database

DB_NAME = "erp_bench_noisy"
PATH = "/api/v1/items/"


def request(port: int, host: str, key: str) -> tuple[int, float]:
    started = time.perf_counter()
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    connection.request("GET", PATH, headers={"Host": host, "Authorization": f"Api-Key {key}"})
    response = connection.getresponse()
    response.read()
    connection.close()
    return response.status, time.perf_counter() - started


def raw_request(port: int, host: str, key: str) -> tuple[int, float]:
    """The same request as `request`, written and read as bytes: tenant A's client, which on a real network runs on
    its own machine, so here it should take as little of the server's CPU as it can (http.client costs several times
    more per request)."""
    started = time.perf_counter()
    payload = f"GET {PATH} HTTP/1.1\r\nHost: {host}\r\nAuthorization: Api-Key {key}\r\nConnection: close\r\n\r\n"
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(payload.encode())
        answer = sock.recv(65536)
        while chunk := sock.recv(65536):  # read to the end: the server closes after its answer
            answer += chunk
    return int(answer.split(b" ", 2)[1]), time.perf_counter() - started


def paced(
    port: int, host: str, key: str, rate: float, seconds: float, threads: int, send=request
) -> tuple[list[float], dict]:
    """Send `rate` requests/s for `seconds` from `threads` threads (at most rate * seconds) with `send`; latencies
    and statuses."""
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    lock = threading.Lock()

    def one(n: int) -> None:
        status, latency = send(port, host, key)
        with lock:
            latencies.append(latency)
            statuses[status] = statuses.get(status, 0) + 1

    pace(rate, seconds, threads, one)
    return latencies, statuses


TICK = os.sysconf("SC_CLK_TCK")


def process_cpu(pid: int) -> float:
    """CPU seconds (user + system) a process has used, threads included; 0 once it is gone."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / TICK


def tree_cpu(master: int) -> float:
    """CPU seconds of a process and its children: gunicorn's master and workers, the bench and its flood process."""
    pids = [master]
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as stat:
                    if int(stat.read().rsplit(")", 1)[1].split()[1]) == master:
                        pids.append(int(entry))
            except OSError:
                continue
    return sum(process_cpu(pid) for pid in pids)


def machine_cpu() -> tuple[float, float, float]:
    """(busy, stolen, total) CPU seconds of the whole machine since boot, all cores; stolen is the time the hypervisor
    gave this machine's cores to others (it makes the same work take longer, and it varies from minute to minute)."""
    with open("/proc/stat") as stat:
        values = [int(v) for v in stat.readline().split()[1:9]]
    idle, stolen = values[3] + values[4], values[7]
    return (sum(values) - idle - stolen) / TICK, stolen / TICK, sum(values) / TICK


class CpuMeter:
    """Who burnt the machine's CPU during a phase: gunicorn, this client (flood and tenant B), everything else."""

    def __init__(self, server_pid: int) -> None:
        self.server_pid = server_pid
        self.start = self._sample()

    def _sample(self) -> tuple[float, ...]:
        return time.monotonic(), tree_cpu(self.server_pid), tree_cpu(os.getpid()), *machine_cpu()

    def report(self, label: str, requests: int) -> str:
        end = self._sample()
        wall, server, client, busy, stolen, total = (b - a for a, b in zip(self.start, end, strict=True))
        cores = total / wall
        others = busy - server - client
        return (
            f"{label}: {wall:.1f} s on {cores:.0f} cores; gunicorn {server / wall * 100:.0f}% of a core "
            f"({server / max(requests, 1) * 1000:.1f} ms CPU a request), bench client {client / wall * 100:.0f}%, "
            f"everything else (PostgreSQL, Redis, other work on the machine) {others / wall * 100:.0f}%; "
            f"machine {busy / total * 100:.0f}% busy, {stolen / total * 100:.0f}% stolen by the hypervisor"
        )


def p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20)[-1]


MS = 1000


@dataclass(frozen=True)
class Phase:
    """One phase of a round: tenant B's p95 and p50 (seconds), A's statuses, the CPU report."""

    p95: float
    p50: float
    noisy: dict[int, int]
    cpu: str


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=8.0)
    parser.add_argument("--limit", type=int, help="tenant A's limit, requests/s (default: the free plan's quota)")
    parser.add_argument("--workers", type=int, help="instead of erp/gunicorn_conf.py's (2 x cores + 1)")
    parser.add_argument("--threads", type=int, help="threads per worker (gthread)")
    parser.add_argument("--worker-class", help="instead of erp/gunicorn_conf.py's (sync)")
    parser.add_argument("--rounds", type=int, default=5, help="the figures are medians over the rounds")
    parser.add_argument(
        "--limit-multiplier", type=float, default=10.0, help="tenant A's flood, in times its limit (default 10)"
    )
    parser.add_argument("--database", default=DB_NAME, help="database to create and drop on DATABASE_URL's server")
    parser.add_argument("--no-edge", action="store_true", help="serve without nginx in front, as without nginx")
    args = parser.parse_args()

    url = use_private_database(args.database)
    # The server and the edge config written here read the same plan rates.
    os.environ["TENANT_API_RATE_STANDARD"] = "1000/s"
    if args.limit:
        os.environ["TENANT_API_RATE_FREE"] = f"{args.limit}/s"
    setup_django()
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection
    from throttled.rate_limiter import quota_parser

    from tenants.services import tenant_create

    stack = contextlib.ExitStack()  # the server and its edge, stopped before the database is dropped
    try:
        call_command("migrate_schemas", shared=True, interactive=False, verbosity=0)
        noisy = tenant_create(slug="noisy-a", name="Noisy A", admin_email="a@noisy.test", plan="free").tenant
        quiet = tenant_create(slug="quiet-b", name="Quiet B", admin_email="b@quiet.test", plan="standard").tenant
        noisy_key, quiet_key = bench_api_key(noisy), bench_api_key(quiet)
        connection.close()

        env = {
            **os.environ,
            "DATABASE_URL": url,
            "LOG_LEVEL": "WARNING",
            "CACHE_KEY_PREFIX": f"bench-noisy-{os.getpid()}",
        }
        overrides = [
            *(("--workers", str(args.workers)) if args.workers else ()),
            *(("--threads", str(args.threads)) if args.threads else ()),
            *(("--worker-class", args.worker_class) if args.worker_class else ()),
        ]
        serving = served(env, overrides, edge=not args.no_edge, name="noisy-neighbour")
        port, server_pid, nginx = stack.enter_context(serving)
        noisy_host, quiet_host = (f"{slug}.{settings.BASE_DOMAIN}" for slug in ("noisy-a", "quiet-b"))
        paced(port, quiet_host, quiet_key, 20, 1.5, 1)  # warm-up: imports, connections, routing cache
        paced(port, noisy_host, noisy_key, 20, 1.0, 1)

        def phase(rate: float, label: str) -> Phase:
            """B's latencies while A sends `rate` requests/s (none: B alone), and what it cost the machine.

            A's client is a process of its own: in B's process its threads would hold B's interpreter lock while B's
            answer waits to be read, and B's latency would measure the bench client, not the server."""
            with multiprocessing.get_context("fork").Pool(1) as pool:
                meter = CpuMeter(server_pid)
                noisy = (
                    pool.apply_async(paced, (port, noisy_host, noisy_key, rate, args.seconds, 8, raw_request))
                    if rate
                    else None
                )
                time.sleep(0.3)
                latencies, statuses = paced(port, quiet_host, quiet_key, 20, args.seconds - 0.6, 1)
                noisy_statuses = noisy.get()[1] if noisy else {}
                cpu = meter.report(label, len(latencies) + sum(noisy_statuses.values()))
            if set(statuses) != {200}:
                raise SystemExit(f"tenant B got other answers than 200 {label}: {statuses}")
            return Phase(p95(latencies), statistics.median(latencies), noisy_statuses, cpu)

        (free_quota,) = quota_parser.parse(settings.TENANT_API_RATES["free"])
        limit = free_quota.get_limit() / free_quota.get_period_sec()
        flood_rate = args.limit_multiplier * limit
        print(
            f"gunicorn: erp/gunicorn_conf.py {' '.join(overrides) or '(as the product runs)'}, "
            f"{'behind the nginx edge' if nginx else 'no edge in front'}; tenant A limit "
            f"{limit:.1f}/s ({settings.TENANT_API_RATES['free']}), flooding at {flood_rate:.0f}/s; tenant B at 20/s; "
            f"{args.rounds} rounds of 3 phases x "
            f"{args.seconds:.0f} s (B alone, B beside A at its limit, B under A's flood)"
        )
        rounds = []
        for n in range(1, args.rounds + 1):
            # Phases side by side in each round, so a drift of the machine's speed hits all three alike. A exactly at
            # its limit is the load a perfect limiter still lets through, to tell it from the flood's.
            alone = phase(0, "B alone")
            at_limit = phase(limit, "B beside A at its limit")
            flood = phase(flood_rate, "B under flood")
            rounds.append((alone, at_limit, flood))
            print(
                f"round {n}: tenant B p95 alone {alone.p95 * MS:.1f} ms, beside A at its limit "
                f"{at_limit.p95 * MS:.1f} ms, under flood {flood.p95 * MS:.1f} ms (A got "
                f"{flood.noisy.get(200, 0)} x 200, {flood.noisy.get(429, 0)} x 429 of "
                f"{sum(flood.noisy.values())}); ratios {at_limit.p95 / alone.p95:.2f} / {flood.p95 / alone.p95:.2f}"
            )
            for each in (alone, at_limit, flood):
                print(f"  {each.cpu}")
        alone_p95 = statistics.median(r[0].p95 for r in rounds)
        at_limit_p95 = statistics.median(r[1].p95 for r in rounds)
        flood_p95 = statistics.median(r[2].p95 for r in rounds)
        print(
            f"tenant B p95, median of {len(rounds)} rounds: alone {alone_p95 * MS:.1f} ms, beside A at its limit "
            f"{at_limit_p95 * MS:.1f} ms, under flood {flood_p95 * MS:.1f} ms"
        )

        def ratio(numerator: int, denominator: int) -> float:
            return statistics.median(r[numerator].p95 / r[denominator].p95 for r in rounds)

        print(f"p95 ratio A at its limit / alone (median of rounds): {ratio(1, 0):.2f}  (cost of A's allowed requests)")
        print(
            f"p95 ratio flood / A at its limit (median of rounds): {ratio(2, 1):.2f}  (what the refused excess costs B)"
        )
        print(f"p95 ratio flood / alone (median of rounds): {ratio(2, 0):.2f}  (goal <= 1.2)")
    finally:
        stack.close()
        drop_database(args.database)


if __name__ == "__main__":
    main()
