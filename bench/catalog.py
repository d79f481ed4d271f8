"""What one tenant schema costs the database server: the numbers behind sizing a cell (README, "100,000 tenants").

    .venv/bin/python bench/catalog.py [--tenants 200] [--touch 100]

Uses its own database (erp_bench_catalog) on the server DATABASE_URL points to, and drops it afterwards.
Provisions `--tenants` tenants the way the product does (template replay, spare claims) and prints, per schema:
- relations (tables, indexes, sequences, views) and columns it adds to the system catalogs,
- the growth of the system catalogs on disk (pg_class, pg_attribute, pg_depend, …: every table of pg_catalog,
  measured before and after, divided by the tenants added),
- the growth of the whole database on disk (an empty tenant: its tables' and indexes' first pages),
- provisioning time per tenant (median),
- what a server process keeps in memory for every schema it touches (its relation and catalog caches,
  `pg_backend_memory_contexts`): one connection reads the hot tables of `--touch` tenants one after another, as a
  pooled connection serving many tenants does, and the cache is measured after 1 and after all of them.
Migration time per schema comes from `bench/fleet_migrate.py` (one AddField across N schemas).
"""

from __future__ import annotations

import argparse
import os
import time

from _support import median, private_database

DB_NAME = "erp_bench_catalog"
# The tables a plant's working day reads: what a pooled server connection ends up caching for each tenant it serves.
HOT_TABLES = [
    "inventory_item", "inventory_stocklevel", "inventory_stockmove", "inventory_location", "orders_salesorder",
    "orders_salesorderline", "production_workorder", "production_bom", "auth_user", "django_session",
]  # fmt: skip

CATALOG_BYTES = """
    SELECT sum(pg_total_relation_size(c.oid)) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE n.nspname = 'pg_catalog' AND c.relkind = 'r'
"""
SCHEMA_OBJECTS = """
    SELECT count(*) FILTER (WHERE c.relkind IN ('r', 'p')), count(*) FILTER (WHERE c.relkind = 'i'),
           count(*) FILTER (WHERE c.relkind = 'S'), count(*),
           (SELECT count(*) FROM pg_attribute a JOIN pg_class k ON k.oid = a.attrelid
             WHERE k.relnamespace = n.oid AND a.attnum > 0 AND NOT a.attisdropped)
    FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = %s GROUP BY n.oid
"""
CACHE_BYTES = """
    SELECT coalesce(sum(total_bytes), 0) FROM pg_backend_memory_contexts
    WHERE name = 'CacheMemoryContext' OR parent = 'CacheMemoryContext'
"""


def measure(args: argparse.Namespace) -> None:
    import psycopg
    from django.core.management import call_command
    from django.db import connection

    from tenants.models import Tenant
    from tenants.schema_template import ensure_fresh_template
    from tenants.services import tenant_create

    call_command("migrate_schemas", shared=True, interactive=False, verbosity=0)
    ensure_fresh_template()
    tenant_create(slug="first", name="First", admin_email="a@first.test")  # the first tenant warms what is shared

    def sizes() -> tuple[int, int]:
        with connection.cursor() as cursor:
            cursor.execute("CHECKPOINT")
            cursor.execute(CATALOG_BYTES)
            catalog = int(cursor.fetchone()[0])
            cursor.execute("SELECT pg_database_size(current_database())")
            return catalog, int(cursor.fetchone()[0])

    catalog_before, database_before = sizes()
    timings = []
    for i in range(args.tenants):
        started = time.perf_counter()
        tenant_create(slug=f"c{i:05d}", name=f"Tenant {i}", admin_email=f"a@c{i}.test")
        timings.append(time.perf_counter() - started)
    catalog_after, database_after = sizes()
    with connection.cursor() as cursor:
        cursor.execute(SCHEMA_OBJECTS, [Tenant.objects.get(slug="c00000").schema_name])
        tables, indexes, sequences, relations, columns = cursor.fetchone()
    added = args.tenants
    print(f"{added} tenants provisioned: median {median(timings) * 1000:.0f} ms a tenant")
    print(f"  one schema: {relations} relations ({tables} tables, {indexes} indexes, {sequences} sequences), "
          f"{columns} columns")  # fmt: skip
    print(f"  system catalogs: {(catalog_after - catalog_before) / added / 1024:.0f} KB a schema "
          f"({catalog_before / 2**20:.1f} -> {catalog_after / 2**20:.1f} MB)")  # fmt: skip
    print(f"  database on disk: {(database_after - database_before) / added / 1024:.0f} KB a schema (empty tenant)")

    schemas = list(Tenant.objects.filter(slug__startswith="c").order_by("slug").values_list("schema_name", flat=True))
    schemas = schemas[: args.touch]
    url = os.environ["DATABASE_URL"].replace("postgres://", "postgresql://", 1)
    with psycopg.connect(url, autocommit=True) as conn:
        base = int(conn.execute(CACHE_BYTES).fetchone()[0])

        def touch(schema: str) -> None:
            for table in HOT_TABLES:
                conn.execute(f'SELECT * FROM "{schema}"."{table}" LIMIT 1').fetchall()

        touch(schemas[0])
        one = int(conn.execute(CACHE_BYTES).fetchone()[0])
        started = time.perf_counter()
        for schema in schemas[1:]:
            touch(schema)
        first_touch = (time.perf_counter() - started) / max(len(schemas) - 1, 1)
        many = int(conn.execute(CACHE_BYTES).fetchone()[0])
        started = time.perf_counter()
        for schema in schemas[1:]:
            touch(schema)
        cached_touch = (time.perf_counter() - started) / max(len(schemas) - 1, 1)
    per_schema = (many - one) / max(len(schemas) - 1, 1)
    print(f"  a server connection's catalog caches: {base / 2**20:.1f} MB at start, {one / 2**20:.1f} MB after one "
          f"tenant's {len(HOT_TABLES)} hot tables, {many / 2**20:.1f} MB after {len(schemas)} tenants: "
          f"{per_schema / 1024:.0f} KB for every tenant it serves")  # fmt: skip
    print(f"  reading those {len(HOT_TABLES)} tables: {first_touch * 1000:.1f} ms the first time on a connection "
          f"(catalog lookups), {cached_touch * 1000:.1f} ms once cached")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tenants", type=int, default=200, help="tenants provisioned and measured")
    parser.add_argument("--touch", type=int, default=100, help="tenants one server connection reads")
    args = parser.parse_args()
    if args.tenants < 2 or args.touch < 2:
        parser.error("--tenants and --touch must be at least 2")
    args.touch = min(args.touch, args.tenants)
    print(f"load average at start: {' '.join(f'{x:.2f}' for x in os.getloadavg())} ({os.cpu_count()} cores)")
    with private_database(DB_NAME):
        measure(args)


if __name__ == "__main__":
    main()
