"""Provisioning speed with many tenants present: spare-schema claim vs template replay vs replaying migrations.

    .venv/bin/python bench/provision.py [--present 1000] [--new 20]

Uses its own database (erp_bench_provision) on the server DATABASE_URL points to, and drops it afterwards.
Each round provisions one tenant by each method, interleaved, so all see the same database size and load:
- spare:      `tenant_create` claiming a pre-built spare schema (the default path; the time a user waits),
- replay:     `tenant_create` with no spare ready, replaying the template SQL itself,
- migrations: `tenant_create(method=MIGRATIONS)`, replaying every migration.
The spare consumed is rebuilt after each round (timed separately: the background cost of the pool).
Latency is what a user waits (the spare claim); the sustained rate is what the pool keeps up with: afterwards
`--new` more tenants are provisioned back to back, each claim followed by the refill that replaces its spare (what
`create_tenant` and the fleet runner do), and the wall time of the whole phase gives tenants/s (against the rate of
back-to-back template replays and migrations, from their medians).
No admin password is given, so no PBKDF2 hashing (≈0.5-0.9 s here) is counted; the admin gets a set-password link.
Goal: spare median <= 0.1 s per tenant and >= 10x faster than migrations.
"""

from __future__ import annotations

import argparse
import time

from _support import median, private_database

DB_NAME = "erp_bench_provision"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--present", type=int, default=1000, help="tenants provisioned before measuring")
    parser.add_argument("--new", type=int, default=20, help="tenants provisioned per method while measuring")
    args = parser.parse_args()

    with private_database(DB_NAME):
        measure(args)


def measure(args: argparse.Namespace) -> None:
    from django.core.management import call_command
    from django.db import connection

    from tenants.models import SpareSchema
    from tenants.schema_template import ensure_fresh_template, refill_spare_schemas
    from tenants.services import ProvisioningMethod, tenant_create

    call_command("migrate_schemas", shared=True, interactive=False, verbosity=0)
    ensure_fresh_template()
    started = time.perf_counter()
    for i in range(args.present):
        tenant_create(slug=f"bg{i:05d}", name=f"Background {i}", admin_email=f"a@bg{i}.test")
    print(f"{args.present} tenants present (provisioned in {time.perf_counter() - started:.1f} s)")

    timings: dict[str, list[float]] = {"spare": [], "replay": [], "migrations": [], "refill": []}
    for i in range(args.new):
        started = time.perf_counter()
        refill_spare_schemas(target=1)
        timings["refill"].append(time.perf_counter() - started)

        started = time.perf_counter()
        assert tenant_create(slug=f"spare{i:03d}", name="M", admin_email="a@m.test").from_spare_schema
        timings["spare"].append(time.perf_counter() - started)

        assert not SpareSchema.objects.exists()
        started = time.perf_counter()
        assert not tenant_create(slug=f"replay{i:03d}", name="M", admin_email="a@m.test").from_spare_schema
        timings["replay"].append(time.perf_counter() - started)

        started = time.perf_counter()
        tenant_create(slug=f"migr{i:03d}", name="M", admin_email="a@m.test", method=ProvisioningMethod.MIGRATIONS)
        timings["migrations"].append(time.perf_counter() - started)

    refill_spare_schemas(target=1)
    started = time.perf_counter()
    for i in range(args.new):
        assert tenant_create(slug=f"sust{i:03d}", name="M", admin_email="a@m.test").from_spare_schema
        refill_spare_schemas(target=1)
    sustained = args.new / (time.perf_counter() - started)

    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM information_schema.tables WHERE table_schema = 'spare000'")
        tables = cursor.fetchone()[0]
    medians = {name: median(values) for name, values in timings.items()}
    print(f"tables per tenant schema: {tables}; tenants present while measuring: {args.present}..")
    for name in ("spare", "replay", "migrations"):
        print(f"{name:<10} median {medians[name]:.4f} s/tenant  (n={args.new})")
    print(f"refill     median {medians['refill']:.4f} s/spare   (background, off the user's path)")
    print(
        f"sustained: {sustained:.2f} tenants/s with spare claim + refill back to back (n={args.new}); "
        f"replay alone {1 / medians['replay']:.2f}/s, migrations {1 / medians['migrations']:.2f}/s"
    )
    print(f"ratio migrations/spare:  {medians['migrations'] / medians['spare']:.1f}x")
    print(f"ratio migrations/replay: {medians['migrations'] / medians['replay']:.1f}x")


if __name__ == "__main__":
    main()
