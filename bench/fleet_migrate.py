"""A trivial new migration (one AddField) across many tenants: the fleet runner vs django-tenants' migrate_schemas.

    .venv/bin/python bench/fleet_migrate.py [--tenants 1000] [--rounds 3] [--concurrency 2] [--requests 300]
        [--skip-standard] [--skip-multiprocessing]

Uses its own database (erp_bench_fleet) on the server DATABASE_URL points to, and drops it afterwards. A throwaway
tenant app (bench/benchfleet, migrations written to a temporary directory) gets a new migration `0002` adding one
nullable column; the same pending migration is then applied to every tenant schema by
- fleet/N:          `fleet.migrator.run_fleet_migration(concurrency=N)` (canary by the executor, the rest
                    replayed, N threads; also migrates the provisioning template),
- multiprocessing:  `migrate_schemas --tenant --executor multiprocessing` with N processes (the same concurrency),
- fleet/1:          the fleet runner one schema at a time, against
- standard:         `migrate_schemas --tenant` (django-tenants' standard executor, one schema at a time),
with the column and the migration row removed again by plain SQL between runs (untimed). Each method runs
`--rounds` times, interleaved round by round so all see the same load; the script prints each run, then the median
(min-max) per method and the ratios of the medians at equal concurrency. Each result is checked: every schema must
have the column and the row afterwards. Also times a fleet run with nothing to apply, and the p50/p95 of one
tenant's API call (GET /api/v1/items/, in-process test client through the full middleware stack) with 10 tenants
present and with all of them present; that tenant is on the premium plan with its budget raised out of reach, so the
bench's own requests are never refused (the budget is still checked on each request).
Goal: 1,000 tenants in < 30 s and >= 4x the multiprocessing executor; latency ratio <= 1.2.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

from _support import drop_database, setup_django, use_private_database

DB_NAME = "erp_bench_fleet"
BENCH = Path(__file__).resolve().parent

INITIAL = """from django.db import migrations, models


class Migration(migrations.Migration):
    initial = True
    dependencies = []
    operations = [
        migrations.CreateModel(
            name="Probe",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("name", models.CharField(max_length=50)),
            ],
        ),
    ]
"""
ADD_FIELD = """from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("benchfleet", "0001_initial")]
    operations = [migrations.AddField("probe", "note", models.CharField(max_length=100, null=True))]
"""


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tenants", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=3, help="runs of each method")
    parser.add_argument("--concurrency", type=int, default=2, help="threads (fleet) and processes (multiprocessing)")
    parser.add_argument("--requests", type=int, default=300, help="requests per latency sample")
    parser.add_argument("--skip-standard", action="store_true", help="skip the (slow) standard executor")
    parser.add_argument("--skip-multiprocessing", action="store_true", help="skip the multiprocessing executor")
    args = parser.parse_args()

    migrations_dir = Path(tempfile.mkdtemp(prefix="benchfleet-"))
    package = migrations_dir / "benchfleet_migrations"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "0001_initial.py").write_text(INITIAL)
    sys.path[:0] = [str(migrations_dir), str(BENCH)]
    os.environ["DJANGO_SETTINGS_MODULE"] = "fleet_settings"
    os.environ["TENANT_MULTIPROCESSING_MAX_PROCESSES"] = str(args.concurrency)
    # The latency probe's tenant must not be refused by its own API budget (burst 20 on free, 400 on premium).
    os.environ["TENANT_API_RATE_PREMIUM"] = "100000000/min"
    use_private_database(DB_NAME)
    setup_django()

    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django_tenants.utils import tenant_context

    from fleet.migrator import run_fleet_migration
    from tenants import schema_template
    from tenants.models import Tenant
    from tenants.services import tenant_create

    def provision(start: int, stop: int) -> None:
        for i in range(start, stop):
            plan = Tenant.Plan.PREMIUM if i == 0 else Tenant.Plan.FREE
            tenant_create(slug=f"t{i:05d}", name=f"Tenant {i}", admin_email=f"a@t{i}.test", plan=plan)

    def latency() -> tuple[float, float]:
        tenant = Tenant.objects.get(slug="t00000")
        with tenant_context(tenant):
            user = get_user_model().objects.get()
            client = Client(HTTP_HOST=f"t00000.{os.environ.get('BASE_DOMAIN', 'localhost')}")
            client.force_login(user)
        connection.set_schema_to_public()
        samples = []
        for i in range(args.requests + 20):
            started = time.perf_counter()
            response = client.get("/api/v1/items/")
            elapsed = time.perf_counter() - started
            assert response.status_code == 200, response.status_code
            if i >= 20:  # warm-up
                samples.append(elapsed)
        return statistics.median(samples), percentile(samples, 95)

    def schemas() -> list[str]:
        return list(Tenant.objects.values_list("schema_name", flat=True))

    def migrated_count() -> int:
        """Schemas with both the new column and the new migration row (catalog + small chunked queries)."""
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT n.nspname FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid "
                "JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.relname = 'benchfleet_probe' "
                "AND a.attname = 'note' AND NOT a.attisdropped"
            )
            with_column = {row[0] for row in cursor.fetchall()}
            names = schemas()
            with_row = set()
            for start in range(0, len(names), 100):
                chunk = names[start : start + 100]
                cursor.execute(
                    " UNION ALL ".join(
                        f"SELECT %s FROM {schema_template.quote(s)}.django_migrations "
                        "WHERE app = 'benchfleet' AND name = '0002_probe_note'"
                        for s in chunk
                    ),
                    chunk,
                )
                with_row |= {row[0] for row in cursor.fetchall()}
        return len(with_column & with_row & set(names))

    def unapply() -> None:
        names = schemas()
        for start in range(0, len(names), 100):
            with connection.cursor() as cursor:
                cursor.execute(
                    ";".join(
                        f"ALTER TABLE {schema_template.quote(s)}.benchfleet_probe DROP COLUMN IF EXISTS note;"
                        f"DELETE FROM {schema_template.quote(s)}.django_migrations WHERE app = 'benchfleet' "
                        "AND name = '0002_probe_note'"
                        for s in names[start : start + 100]
                    )
                )
        assert migrated_count() == 0

    def timed(label: str, fn) -> float:
        started = time.perf_counter()
        fn()
        seconds = time.perf_counter() - started
        connection.set_schema_to_public()
        done = migrated_count()
        print(f"  {label:<34} {seconds:8.2f} s   ({done}/{len(schemas())} schemas migrated)", flush=True)
        assert done == len(schemas()), f"{label}: only {done} schemas migrated"
        return seconds

    n = args.concurrency
    methods = {f"fleet runner/{n}": lambda: run_fleet_migration(actor="bench", concurrency=n)}
    if not args.skip_multiprocessing:
        methods[f"migrate_schemas multiprocessing/{n}"] = lambda: call_command(
            "migrate_schemas", tenant=True, executor="multiprocessing", interactive=False, verbosity=0
        )
    if not args.skip_standard:
        methods["fleet runner/1"] = lambda: run_fleet_migration(actor="bench", concurrency=1)
        methods["migrate_schemas standard"] = lambda: call_command(
            "migrate_schemas", tenant=True, interactive=False, verbosity=0
        )
    results: dict[str, list[float]] = {name: [] for name in methods}
    noop: list[float] = []
    try:
        call_command("migrate_schemas", shared=True, interactive=False, verbosity=0)
        schema_template.ensure_fresh_template()
        small = min(10, args.tenants)
        provision(0, small)
        p50_small, p95_small = latency()
        print(f"API latency with {small} tenants: p50 {p50_small * 1000:.2f} ms, p95 {p95_small * 1000:.2f} ms")
        started = time.perf_counter()
        provision(small, args.tenants)
        print(f"{args.tenants} tenants provisioned in {time.perf_counter() - started:.1f} s", flush=True)
        p50_all, p95_all = latency()
        print(f"API latency with {args.tenants} tenants: p50 {p50_all * 1000:.2f} ms, p95 {p95_all * 1000:.2f} ms")
        print(f"latency ratio p50 {p50_all / p50_small:.2f}, p95 {p95_all / p95_small:.2f}", flush=True)

        (package / "0002_probe_note.py").write_text(ADD_FIELD)
        schema_template.code_migrations.cache_clear()

        for round_number in range(1, args.rounds + 1):
            print(f"round {round_number}/{args.rounds}")
            for name, method in methods.items():
                if migrated_count():
                    unapply()
                results[name].append(timed(name, method))
            started = time.perf_counter()
            summary = run_fleet_migration(actor="bench", concurrency=n).summary
            noop.append(time.perf_counter() - started)
            print(f"  {'fleet runner, nothing to apply':<34} {noop[-1]:8.2f} s   ({summary})", flush=True)

        print(f"\ntenants: {args.tenants}; {args.rounds} round(s); median (min-max) per method")
        for name, values in [*results.items(), ("fleet runner, nothing to apply", noop)]:
            print(f"  {name:<34} {statistics.median(values):8.2f} s   ({min(values):.2f}-{max(values):.2f})")
        medians = {name: statistics.median(values) for name, values in results.items()}
        for fleet, other in ((f"fleet runner/{n}", f"migrate_schemas multiprocessing/{n}"),
                             ("fleet runner/1", "migrate_schemas standard")):  # fmt: skip
            if other in medians:
                print(f"{fleet} is {medians[other] / medians[fleet]:.1f}x faster than {other}")
    finally:
        shutil.rmtree(migrations_dir, ignore_errors=True)
        connection.close()
        drop_database(DB_NAME)


if __name__ == "__main__":
    main()
