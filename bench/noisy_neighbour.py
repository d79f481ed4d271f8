"""Noisy neighbour: tenant B's API latency alone, then while tenant A floods the API at 10x its rate limit.

    .venv/bin/python bench/noisy_neighbour.py [--seconds 8] [--limit 20] [--workers 2] [--threads 4] [--database NAME]

Uses its own database (erp_bench_noisy, or --database on the same server) and gunicorn on loopback. Tenant A
(plan free) may make `--limit` requests a second (TENANT_API_RATE_FREE for the server); it sends 10x that, paced,
for `--seconds` (so at most 10 * limit * seconds requests), and gets 429s past its limit. Tenant B (plan standard)
sends one request at a time, paced at 20/s, to its item list. Both authenticate with their own API key. Prints B's
p50/p95 alone and under the flood, the ratio of the p95s (goal <= 1.2), and what A got (2xx / 429).
"""

from __future__ import annotations

import argparse
import http.client
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time

from _support import REPO, drop_database, setup_django, use_private_database

DB_NAME = "erp_bench_noisy"
PATH = "/api/v1/items/"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_gunicorn(port: int, workers: int, threads: int, env: dict[str, str], log) -> subprocess.Popen:
    """gunicorn on loopback; its stderr goes to the file `log`: an unread pipe fills up with Django's warning per
    429 after some 64 KB and then blocks every worker that logs (this used to stall the flood and tenant B)."""
    process = subprocess.Popen(
        [
            *(sys.executable, "-m", "gunicorn", "erp.wsgi:application", "--bind", f"127.0.0.1:{port}"),
            *("--workers", str(workers), "--threads", str(threads), "--worker-class", "gthread"),
            *("--log-level", "warning"),
        ],
        cwd=REPO,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=log,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return process
        except OSError:
            time.sleep(0.1)
    process.kill()
    log.seek(0)
    raise RuntimeError(f"gunicorn did not start on port {port}: {log.read().decode()[-2000:]}")


def request(port: int, host: str, key: str) -> tuple[int, float]:
    started = time.perf_counter()
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    connection.request("GET", PATH, headers={"Host": host, "Authorization": f"Api-Key {key}"})
    response = connection.getresponse()
    response.read()
    connection.close()
    return response.status, time.perf_counter() - started


def paced(port: int, host: str, key: str, rate: float, seconds: float, threads: int) -> tuple[list[float], dict]:
    """Send `rate` requests/s for `seconds` from `threads` threads (at most rate * seconds); latencies and statuses."""
    total = int(rate * seconds)
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    lock = threading.Lock()
    start = time.monotonic() + 0.05
    stop_at = start + seconds + 2

    def worker(index: int) -> None:
        for n in range(index, total, threads):
            delay = start + n / rate - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            if time.monotonic() > stop_at:
                return
            status, latency = request(port, host, key)
            with lock:
                latencies.append(latency)
                statuses[status] = statuses.get(status, 0) + 1

    pool = [threading.Thread(target=worker, args=(i,)) for i in range(threads)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join()
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


def server_cpu(master: int) -> float:
    """CPU seconds of gunicorn: its master and workers (the children of the master)."""
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


def machine_cpu() -> tuple[float, float]:
    """(busy, total) CPU seconds of the whole machine since boot, all cores."""
    with open("/proc/stat") as stat:
        values = [int(v) for v in stat.readline().split()[1:]]
    idle = values[3] + values[4]
    return (sum(values) - idle) / TICK, sum(values) / TICK


class CpuMeter:
    """Who burnt the machine's CPU during a phase: gunicorn, this client (flood and tenant B), everything else."""

    def __init__(self, server_pid: int) -> None:
        self.server_pid = server_pid
        self.start = self._sample()

    def _sample(self) -> tuple[float, float, float, float, float]:
        busy, total = machine_cpu()
        return time.monotonic(), server_cpu(self.server_pid), process_cpu(os.getpid()), busy, total

    def report(self, label: str, requests: int) -> str:
        end = self._sample()
        wall, server, client, busy, total = (b - a for a, b in zip(self.start, end, strict=True))
        cores = total / wall
        others = busy - server - client
        return (
            f"{label}: {wall:.1f} s on {cores:.0f} cores; gunicorn {server / wall * 100:.0f}% of a core "
            f"({server / max(requests, 1) * 1000:.1f} ms CPU a request), bench client {client / wall * 100:.0f}%, "
            f"everything else (PostgreSQL, Redis, other work on the machine) {others / wall * 100:.0f}%; "
            f"machine {busy / total * 100:.0f}% busy"
        )


def p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20)[-1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=8.0)
    parser.add_argument("--limit", type=int, default=20, help="tenant A's limit, requests per second")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--database", default=DB_NAME, help="database to create and drop on DATABASE_URL's server")
    args = parser.parse_args()

    url = use_private_database(args.database)
    setup_django()
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.db import connection
    from django_tenants.utils import tenant_context

    from access.services import api_key_create
    from inventory.models import UnitOfMeasure
    from inventory.services import item_create
    from tenants.services import tenant_create

    def key_for(tenant) -> str:
        with tenant_context(tenant):
            user = get_user_model().objects.create_user(username="bench", password=None)
            unit = UnitOfMeasure.objects.get_or_create(code="pcs", defaults={"name": "Pieces"})[0]
            for n in range(20):
                item_create(sku=f"B-{n:03d}", name=f"Bench item {n}", uom=unit, user=user)
            return api_key_create(name="bench", scope="read_only", user=user, created_by=None).key

    server = None
    server_log = tempfile.TemporaryFile()  # noqa: SIM115 (closed in the finally below)
    try:
        call_command("migrate_schemas", shared=True, interactive=False, verbosity=0)
        noisy = tenant_create(slug="noisy-a", name="Noisy A", admin_email="a@noisy.test", plan="free").tenant
        quiet = tenant_create(slug="quiet-b", name="Quiet B", admin_email="b@quiet.test", plan="standard").tenant
        noisy_key, quiet_key = key_for(noisy), key_for(quiet)
        connection.close()

        port = free_port()
        env = {
            **os.environ,
            "DATABASE_URL": url,
            "LOG_LEVEL": "WARNING",
            "TENANT_API_RATE_FREE": f"{args.limit}/s",
            "TENANT_API_RATE_STANDARD": "1000/s",
            "CACHE_KEY_PREFIX": f"bench-noisy-{os.getpid()}",
        }
        server = start_gunicorn(port, args.workers, args.threads, env, server_log)
        noisy_host, quiet_host = (f"{slug}.{settings.BASE_DOMAIN}" for slug in ("noisy-a", "quiet-b"))
        paced(port, quiet_host, quiet_key, 20, 1.5, 1)  # warm-up: imports, connections, routing cache
        paced(port, noisy_host, noisy_key, 20, 1.0, 1)

        meter = CpuMeter(server.pid)
        alone, alone_statuses = paced(port, quiet_host, quiet_key, 20, args.seconds, 1)
        cpu_alone = meter.report("CPU, B alone", len(alone))

        def beside(rate: float, label: str):
            """B's latencies while A sends `rate` requests/s; B's statuses, A's statuses, the CPU report."""
            noisy_result: dict = {}

            def noisy_load() -> None:
                noisy_result["latencies"], noisy_result["statuses"] = paced(
                    port, noisy_host, noisy_key, rate, args.seconds, 8
                )

            noisy_thread = threading.Thread(target=noisy_load)
            meter = CpuMeter(server.pid)
            noisy_thread.start()
            time.sleep(0.3)
            latencies, statuses = paced(port, quiet_host, quiet_key, 20, args.seconds - 0.6, 1)
            noisy_thread.join()
            cpu = meter.report(f"CPU, {label}", len(latencies) + sum(noisy_result["statuses"].values()))
            return latencies, statuses, noisy_result["statuses"], cpu

        # A exactly at its limit first: the load a perfect limiter still lets through, to tell it from the flood's.
        at_limit, at_limit_statuses, a_at_limit, cpu_at_limit = beside(args.limit, "B beside A at its limit")
        flood_rate = 10 * args.limit
        during, during_statuses, flood_statuses, cpu_flood = beside(flood_rate, "B under flood")

        if {*alone_statuses, *at_limit_statuses, *during_statuses} != {200}:
            raise SystemExit(f"tenant B got other answers than 200: {alone_statuses} / {during_statuses}")
        sent = sum(flood_statuses.values())
        print(
            f"gunicorn {args.workers} workers x {args.threads} threads; tenant A limit {args.limit}/s, "
            f"flooding at {flood_rate}/s for {args.seconds:.0f} s"
        )
        print(f"tenant A at its limit: {sum(a_at_limit.values())} requests, {a_at_limit.get(200, 0)} x 200")
        print(
            f"tenant A flooding: {sent} requests, {flood_statuses.get(200, 0)} x 200, "
            f"{flood_statuses.get(429, 0)} x 429"
        )
        ms = 1000
        for label, latencies in (("alone", alone), ("beside A at its limit", at_limit), ("under flood", during)):
            print(
                f"tenant B {label + ':':<23}{len(latencies)} requests, p50 {statistics.median(latencies) * ms:.1f} ms, "
                f"p95 {p95(latencies) * ms:.1f} ms"
            )
        print(f"p95 ratio A at its limit / alone: {p95(at_limit) / p95(alone):.2f}")
        print(f"p95 ratio (flood / alone): {p95(during) / p95(alone):.2f}  (goal <= 1.2)")
        print(cpu_alone)
        print(cpu_at_limit)
        print(cpu_flood)
    finally:
        if server is not None:
            server.terminate()
            server.wait(timeout=20)
        server_log.close()
        drop_database(args.database)


if __name__ == "__main__":
    main()
