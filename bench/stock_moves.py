"""Benchmark: stock moves posted per second through inventory.services, and a lost-update check.

Scenarios: 1 and 4 concurrent writers, on one hot item and spread over many items. Each writer is a process with
its own database connection (threads would share one GIL); each posts receipts and issues of 1 unit through
`stock_receive` / `stock_issue` (one statement each, `inventory_post_move()`: level rows locked in primary-key
order, rules checked, move inserted, levels updated) for a fixed time. Each scenario is then repeated with the
classic sequence (BEGIN, INSERT move, SELECT ... FOR UPDATE, UPDATE level, COMMIT) in bare SQL on bare psycopg
connections, so the application layer is measured against the machine as it is loaded right now; since the service
needs one round trip where that sequence needs five, the ratio can exceed 1. After each scenario every level is
compared with its ledger sum (lost-update check).

Run (from the repository root):

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/erp_bench REDIS_URL=redis://127.0.0.1:6379/2 \
        .venv/bin/python bench/stock_moves.py [--seconds 8] [--writers 1,4] [--items 1000] [--mode processes|threads]

The database named in DATABASE_URL is created if it does not exist and its public schema migrated; the benchmark
provisions its own tenant (bench-<random>) and drops it at the end. Compare with the raw-SQL floors measured on
the same machines (FACTS.md): 1,941/s (1 writer) and 2,148/s (4 writers) on one item, 1,804/s and 6,104/s over
1,000 items.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import random
import secrets
import sys
import threading
import time
import uuid
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "erp.settings")
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/erp_bench")
os.environ.setdefault("SECRET_KEY", f"bench-only-{secrets.token_urlsafe(48)}")  # DEBUG off: a key is required

FLOORS = {("one item", 1): 1941, ("one item", 4): 2148, ("many items", 1): 1804, ("many items", 4): 6104}
SEED_QUANTITY = Decimal(1_000_000)


def ensure_database() -> None:
    import environ
    import psycopg

    config = environ.Env.db_url_config(os.environ["DATABASE_URL"])
    params = {"host": config.get("HOST") or None, "port": config.get("PORT") or None, "user": config.get("USER")}
    with psycopg.connect(dbname="postgres", autocommit=True, password=config.get("PASSWORD") or None, **params) as c:
        if c.execute("SELECT 1 FROM pg_database WHERE datname = %s", [config["NAME"]]).fetchone() is None:
            c.execute(f'CREATE DATABASE "{config["NAME"]}"')
            print(f"created database {config['NAME']}")


def setup_django() -> None:
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate_schemas", shared=True, interactive=False, verbosity=0)


def create_fixture(item_count: int):
    from django_tenants.utils import tenant_context

    from inventory.models import Item, Location, UnitOfMeasure
    from inventory.services import stock_receive
    from tenants.services import tenant_create

    tenant = tenant_create(slug=f"bench-{uuid.uuid4().hex[:8]}", name="Stock move bench", admin_email="b@bench.test")
    with tenant_context(tenant.tenant):
        unit = UnitOfMeasure.objects.get(code="pcs")
        location = Location.objects.create(code="BENCH", name="Bench bin")
        items = Item.objects.bulk_create(
            [Item(sku=f"B-{n:05d}", name=f"Bench item {n}", uom=unit) for n in range(item_count)]
        )
        for item in items:
            stock_receive(item=item, location=location, quantity=SEED_QUANTITY, user=None, reference="seed")
    return tenant.tenant, [item.pk for item in items], location.pk


def writer(tenant_pk: int, item_ids: list[int], location_id: int, deadline: float, seed: int, out) -> None:
    from django.db import connection
    from django_tenants.utils import tenant_context

    from inventory.models import Item, Location
    from inventory.services import stock_issue, stock_receive
    from tenants.models import Tenant

    connection.close()  # never share the parent's connection
    rng = random.Random(seed)
    posted = 0
    try:
        tenant = Tenant.objects.get(pk=tenant_pk)
        with tenant_context(tenant):
            items = list(Item.objects.filter(pk__in=item_ids))
            location = Location.objects.get(pk=location_id)
            while time.monotonic() < deadline:
                item = items[rng.randrange(len(items))]
                if rng.random() < 0.5:
                    stock_receive(item=item, location=location, quantity=1, user=None)
                else:
                    stock_issue(item=item, location=location, quantity=1, user=None)
                posted += 1
    finally:
        connection.close()
        out.put(posted)


def raw_writer(tenant_pk: int, item_ids: list[int], location_id: int, deadline: float, seed: int, out) -> None:
    """The same work in hand-written SQL on a bare psycopg connection: today's floor on this machine."""
    import psycopg
    from django.conf import settings
    from django.db import connection

    from tenants.models import Tenant

    connection.close()
    db = settings.DATABASES["default"]
    rng = random.Random(seed)
    posted = 0
    try:
        schema = Tenant.objects.get(pk=tenant_pk).schema_name
        connection.close()
        with psycopg.connect(
            host=db["HOST"] or None, port=db["PORT"] or None, user=db["USER"], dbname=db["NAME"], autocommit=False
        ) as raw:
            raw.execute(f'SET search_path TO "{schema}"')
            raw.commit()
            while time.monotonic() < deadline:
                item_id = item_ids[rng.randrange(len(item_ids))]
                receipt = rng.random() < 0.5
                raw.execute(
                    "INSERT INTO inventory_stockmove (item_id, quantity, from_location_id, to_location_id, reason,"
                    " reference, created_at) VALUES (%s, 1, %s, %s, %s, '', now()) RETURNING id",
                    [
                        item_id,
                        None if receipt else location_id,
                        location_id if receipt else None,
                        "receipt" if receipt else "issue",
                    ],
                )
                row = raw.execute(
                    "SELECT id, on_hand, reserved FROM inventory_stocklevel WHERE item_id = %s AND location_id = %s"
                    " ORDER BY id FOR UPDATE",
                    [item_id, location_id],
                ).fetchone()
                raw.execute(
                    "UPDATE inventory_stocklevel SET on_hand = on_hand + %s WHERE id = %s",
                    [1 if receipt else -1, row[0]],
                )
                raw.commit()
                posted += 1
    finally:
        out.put(posted)


def run_scenario(tenant, item_ids, location_id, writers: int, seconds: float, mode: str, target=None) -> float:
    from django.db import connections

    connections.close_all()
    if mode == "processes":
        context = multiprocessing.get_context("fork")
        out = context.Queue()
        start = time.monotonic() + 0.5
        deadline = start + seconds
        workers = [
            context.Process(target=target or writer, args=(tenant.pk, item_ids, location_id, deadline, n, out))
            for n in range(writers)
        ]
    else:
        import queue

        out = queue.Queue()
        start = time.monotonic() + 0.2
        deadline = start + seconds
        workers = [
            threading.Thread(target=target or writer, args=(tenant.pk, item_ids, location_id, deadline, n, out))
            for n in range(writers)
        ]
    for worker in workers:
        worker.start()
    posted = sum(out.get(timeout=seconds + 120) for _ in workers)
    for worker in workers:
        worker.join()
    return posted / seconds


def lost_updates(tenant, location_id: int) -> int:
    """Levels whose on hand differs from the ledger sum at that location (0 means no lost update)."""
    from django.db import connection
    from django_tenants.utils import tenant_context

    with tenant_context(tenant), connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT count(*) FROM inventory_stocklevel l
            LEFT JOIN (
                SELECT item_id,
                       sum(CASE WHEN to_location_id = %s THEN quantity ELSE 0 END)
                     - sum(CASE WHEN from_location_id = %s THEN quantity ELSE 0 END) AS ledger
                FROM inventory_stockmove GROUP BY item_id
            ) m ON m.item_id = l.item_id
            WHERE l.location_id = %s AND l.on_hand IS DISTINCT FROM coalesce(m.ledger, 0)
            """,
            [location_id, location_id, location_id],
        )
        return cursor.fetchone()[0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=8.0)
    parser.add_argument("--writers", default="1,4", help="comma-separated writer counts")
    parser.add_argument("--items", type=int, default=1000, help="items in the 'many items' scenario")
    parser.add_argument("--mode", choices=["processes", "threads"], default="processes")
    args = parser.parse_args()

    ensure_database()
    setup_django()
    from tenants.services import tenant_delete

    tenant, item_ids, location_id = create_fixture(args.items)
    print(f"tenant {tenant.schema_name}: {len(item_ids)} items, {args.seconds:g} s per run, writers are {args.mode}")
    print(
        "services: moves/s through inventory.services; raw now: the same statements in bare SQL, measured right after"
        " (same load); FACTS floor: pgbench on an idle machine"
    )
    header = (
        f"{'scenario':<11} {'writers':>7} {'services':>9} {'raw now':>8} {'ratio':>6} {'FACTS floor':>11} {'ratio':>6}"
    )
    print(header + f" {'lost updates':>13}")
    try:
        for label, ids in (("one item", item_ids[:1]), ("many items", item_ids)):
            for writers in (int(n) for n in args.writers.split(",")):
                rate = run_scenario(tenant, ids, location_id, writers, args.seconds, args.mode)
                raw = run_scenario(tenant, ids, location_id, writers, args.seconds, "processes", raw_writer)
                lost = lost_updates(tenant, location_id)
                floor = FLOORS.get((label, writers))
                ratio = f"{rate / floor:.2f}" if floor else "-"
                print(
                    f"{label:<11} {writers:>7} {rate:>9.0f} {raw:>8.0f} {rate / raw:>6.2f} {floor or '-':>11}"
                    f" {ratio:>6}"
                    f" {lost:>13}"
                )
    finally:
        from django.db import connection

        connection.set_schema_to_public()
        tenant_delete(tenant=tenant)


if __name__ == "__main__":
    main()
