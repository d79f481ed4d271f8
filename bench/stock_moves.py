"""Benchmark: stock moves posted per second through inventory.services, against the database floor in the same run.

    .venv/bin/python bench/stock_moves.py [--seconds 8] [--writers 1,4] [--items 1000] [--mode processes|threads]

Uses its own database (erp_bench_stock_moves) on the server DATABASE_URL points to, provisions one tenant in it and
drops the database afterwards. Scenarios: 1 and 4 concurrent writers, on one hot item and spread over many items.
Each writer has its own database connection and posts receipts and issues of 1 unit for a fixed time, three ways,
one after the other on the same data and the same machine load:

- services: `stock_receive` / `stock_issue` (Django, tenant context and PostgreSQL role as a request has them);
- SQL function: the statement the service sends (`inventory_post_move()`, the stock value and the audit entry, one
  round trip),
  on a bare psycopg connection under the tenant's role: the database floor; the service adds its Python on top;
- SQL statements: the same work spelled out as the classic transaction, one round trip per statement (BEGIN;
  hold the item FOR KEY SHARE with its active flag and unit precision (inventory.services.locking, step 0); create a
  missing destination level; lock the level rows in primary-key order with their location's active flag; check the
  flags and the available quantity, on hand minus reserved, in the client; insert the move;
  update the level; update the item's stock value (moving average) and insert its value-ledger entry; insert the
  audit entry; COMMIT).

So every column does the same work: rules checked, move inserted, levels updated under lock, one audit entry per
move. After each scenario every level is compared with its ledger sum (lost updates) and the moves with their audit
entries (both must hold, or the scenario fails).
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import queue
import random
import threading
import time
import uuid
from decimal import Decimal

from _support import private_database

DB_NAME = "erp_bench_stock_moves"
SEED_QUANTITY = Decimal(1_000_000)


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


def service_writer(tenant_pk: int, item_ids: list[int], location_id: int, deadline: float, seed: int, out) -> None:
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


def _raw_connection(tenant_pk: int, *, as_tenant: bool = True):
    """A bare psycopg connection in the tenant's schema under the tenant's role, as the product's backend sets them
    (`as_tenant=False`: as the owner, for the plain statements the tenant role may no longer run on the ledger)."""
    import psycopg
    from django.conf import settings
    from django.db import connection
    from psycopg import sql

    from tenants import db_roles
    from tenants.models import Tenant

    connection.close()
    db = settings.DATABASES["default"]
    schema = Tenant.objects.get(pk=tenant_pk).schema_name
    skus = dict(_skus(schema))
    connection.close()
    raw = psycopg.connect(
        host=db["HOST"] or None,
        port=db["PORT"] or None,
        user=db["USER"],
        password=db["PASSWORD"] or None,
        dbname=db["NAME"],
        autocommit=True,
    )
    raw.execute(sql.SQL("SET search_path = {}, public").format(sql.Identifier(schema)))
    if as_tenant and db_roles.enabled():
        raw.execute(sql.SQL("SET ROLE {}").format(sql.Identifier(db_roles.role_name(schema, db["NAME"]))))
    return raw, schema, skus


def _skus(schema: str) -> list[tuple[int, str]]:
    from django.db import connection
    from django_tenants.utils import schema_context

    with schema_context(schema), connection.cursor() as cursor:
        cursor.execute("SELECT id, sku FROM inventory_item")
        return cursor.fetchall()


def _audit_params(schema: str, reason: str, sku: str, from_code: str | None, to_code: str | None) -> list:
    """What `audit.services.audit_row_params` gives the service's statement for a system move of 1 unit."""
    from django.utils import timezone

    changes = {
        "item": [None, sku],
        "quantity": [None, "1"],
        "from_location": [None, from_code],
        "to_location": [None, to_code],
        "reference": [None, ""],
    }
    summary = f"{reason} 1 of {sku}"
    return [timezone.now(), schema, None, "", f"inventory.stock_{reason}", "inventory.stockmove", summary,
            json.dumps(changes)]  # fmt: skip


def function_writer(tenant_pk: int, item_ids: list[int], location_id: int, deadline: float, seed: int, out) -> None:
    """The service's own statement on a bare connection: the database's share of a move, without Django."""
    from django.utils import timezone

    from inventory.services.moves import _POST_MOVE
    from inventory.services.valuation import VALUE_MOVE, value_params

    class _Item:  # value_params reads only the item's pk
        def __init__(self, pk: int) -> None:
            self.pk = pk

    rng = random.Random(seed)
    posted = 0
    try:
        raw, schema, skus = _raw_connection(tenant_pk)
        with raw:
            while time.monotonic() < deadline:
                item_id = item_ids[rng.randrange(len(item_ids))]
                receipt = rng.random() < 0.5
                reason = "receipt" if receipt else "issue"
                from_id, to_id = (None, location_id) if receipt else (location_id, None)
                codes = (None, "BENCH") if receipt else ("BENCH", None)
                now = timezone.now()
                # then the reservation entry's parameters: this move consumes no reservation, so none is written
                # and the item's stock value (moving average) with its value-ledger entry, as the service does
                delta = Decimal(1) if receipt else Decimal(-1)
                outcome = raw.execute(
                    _POST_MOVE + VALUE_MOVE,
                    [item_id, Decimal(1), reason, from_id, to_id, "", None, None, None, None, now, False,
                     True, *_audit_params(schema, reason, skus[item_id], *codes),
                     item_id, from_id, Decimal(1), "", None, now, False,
                     *value_params(_Item(item_id), delta, None, now)],
                ).fetchone()  # fmt: skip
                assert outcome[0] == "ok", outcome
                posted += 1
    finally:
        out.put(posted)


def statements_writer(tenant_pk: int, item_ids: list[int], location_id: int, deadline: float, seed: int, out) -> None:
    """The same rules as `inventory_post_move()`, one statement per round trip, checks made in the client."""
    from django.utils import timezone

    from audit.services import AUDIT_ROW_SQL

    audit_sql = AUDIT_ROW_SQL.format(object_id="%s", source="(SELECT 1) AS one")
    rng = random.Random(seed)
    posted = 0
    try:
        # As the owner: the tenant role posts moves only through inventory_post_move() (inventory 0005).
        raw, schema, skus = _raw_connection(tenant_pk, as_tenant=False)
        with raw:
            while time.monotonic() < deadline:
                item_id = item_ids[rng.randrange(len(item_ids))]
                receipt = rng.random() < 0.5
                reason = "receipt" if receipt else "issue"
                with raw.transaction():
                    # The item first, FOR KEY SHARE, with its active flag and its unit's precision (lock order step 0:
                    # its stock unit cannot change before this move commits).
                    item_active, decimals = raw.execute(
                        "SELECT i.is_active, (SELECT u.decimals FROM inventory_unitofmeasure u WHERE u.id = i.uom_id)"
                        " FROM inventory_item i WHERE i.id = %s FOR KEY SHARE",
                        [item_id],
                    ).fetchone()
                    assert item_active, "inactive item"
                    assert decimals >= 0  # 1 is countable in every unit: the function's precision check passes too
                    if receipt:  # a missing destination level is created before any level lock is taken
                        raw.execute(
                            "INSERT INTO inventory_stocklevel (item_id, location_id, on_hand, reserved)"
                            " SELECT %s, %s, 0, 0 WHERE NOT EXISTS (SELECT FROM inventory_stocklevel"
                            " WHERE item_id = %s AND location_id = %s) ON CONFLICT DO NOTHING",
                            [item_id, location_id, item_id, location_id],
                        )
                    level_id, on_hand, reserved, location_active = raw.execute(
                        "SELECT l.id, l.on_hand, l.reserved, loc.is_active FROM inventory_stocklevel l"
                        " JOIN inventory_location loc ON loc.id = l.location_id"
                        " WHERE l.item_id = %s AND l.location_id = %s ORDER BY l.id FOR UPDATE OF l",
                        [item_id, location_id],
                    ).fetchone()
                    assert location_active
                    assert receipt or on_hand - reserved >= 1, "insufficient stock"
                    created_at = timezone.now()
                    (move_id,) = raw.execute(
                        "INSERT INTO inventory_stockmove (item_id, quantity, from_location_id, to_location_id,"
                        " reason, reference, created_at) VALUES (%s, 1, %s, %s, %s, '', %s) RETURNING id",
                        [item_id, None if receipt else location_id, location_id if receipt else None, reason,
                         created_at],
                    ).fetchone()  # fmt: skip
                    raw.execute(
                        "UPDATE inventory_stocklevel SET on_hand = on_hand + %s WHERE id = %s",
                        [1 if receipt else -1, level_id],
                    )
                    # The item's stock value at the moving average (no price: the average, else the standard
                    # cost), locked after the level, and its value-ledger entry, as the service does.
                    delta = Decimal(1) if receipt else Decimal(-1)
                    quantity, value, average, standard = raw.execute(
                        "SELECT v.quantity, v.value, v.average_cost, i.standard_cost FROM inventory_itemvaluation v"
                        " JOIN inventory_item i ON i.id = v.item_id WHERE v.item_id = %s FOR UPDATE OF v",
                        [item_id],
                    ).fetchone()
                    cost = average or standard
                    change = -value if quantity + delta == 0 else round(delta * cost, 4)
                    raw.execute(
                        "UPDATE inventory_itemvaluation SET quantity = %s, value = %s, last_unit_cost = %s,"
                        " last_value_change = %s WHERE item_id = %s",
                        [quantity + delta, value + change, cost, change, item_id],
                    )
                    raw.execute(
                        "INSERT INTO inventory_valuationentry"
                        " (item_id, move_id, quantity, unit_cost, value, created_at) VALUES (%s, %s, %s, %s, %s, %s)",
                        [item_id, move_id, delta, cost, change, created_at],
                    )
                    params = _audit_params(
                        schema, reason, skus[item_id], *((None, "BENCH") if receipt else ("BENCH", None))
                    )
                    raw.execute(audit_sql, [*params[:6], move_id, move_id, *params[6:]])
                posted += 1
    finally:
        out.put(posted)


def run_scenario(tenant, item_ids, location_id, writers: int, seconds: float, mode: str, target) -> float:
    from django.db import connections

    connections.close_all()
    if mode == "processes":
        context = multiprocessing.get_context("fork")
        out = context.Queue()
        deadline = time.monotonic() + 0.5 + seconds
        workers = [
            context.Process(target=target, args=(tenant.pk, item_ids, location_id, deadline, n, out))
            for n in range(writers)
        ]
    else:
        out = queue.Queue()
        deadline = time.monotonic() + 0.2 + seconds
        workers = [
            threading.Thread(target=target, args=(tenant.pk, item_ids, location_id, deadline, n, out))
            for n in range(writers)
        ]
    for worker in workers:
        worker.start()
    posted = sum(out.get(timeout=seconds + 120) for _ in workers)
    for worker in workers:
        worker.join()
        if getattr(worker, "exitcode", 0):
            raise RuntimeError(f"a {target.__name__} process failed (exit code {worker.exitcode})")
    return posted / seconds


def integrity(tenant, location_id: int) -> tuple[int, int]:
    """Levels whose on hand differs from the ledger sum at that location, and moves minus their audit entries
    (both 0 when every writer did the whole work)."""
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
        lost = cursor.fetchone()[0]
        cursor.execute(
            "SELECT (SELECT count(*) FROM inventory_stockmove)"
            " - (SELECT count(*) FROM audit_auditentry WHERE object_type = 'inventory.stockmove')"
        )
        unaudited = cursor.fetchone()[0]
    return lost, unaudited


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=8.0, help="seconds per run")
    parser.add_argument("--writers", default="1,4", help="comma-separated writer counts")
    parser.add_argument("--items", type=int, default=1000, help="items in the 'many items' scenario")
    parser.add_argument("--mode", choices=["processes", "threads"], default="processes", help="service writers")
    args = parser.parse_args()

    with private_database(DB_NAME):
        measure(args)


def measure(args: argparse.Namespace) -> None:
    from django.core.management import call_command

    from tenants.schema_template import ensure_fresh_template

    call_command("migrate_schemas", shared=True, interactive=False, verbosity=0)
    ensure_fresh_template()
    tenant, item_ids, location_id = create_fixture(args.items)
    print(f"tenant {tenant.schema_name}: {len(item_ids)} items, {args.seconds:g} s a run, services in {args.mode}")
    print(
        "moves/s. services: inventory.services; SQL function: the service's statement on bare psycopg (the"
        " database floor); SQL statements: the same work, one statement per round trip; same run, same load"
    )
    print(
        f"{'scenario':<11} {'writers':>7} {'services':>9} {'SQL function':>13} {'ratio':>6} {'SQL statements':>15}"
        f" {'lost updates':>13} {'unaudited':>10}"
    )
    failed = False
    for label, ids in (("one item", item_ids[:1]), ("many items", item_ids)):
        for writers in (int(n) for n in args.writers.split(",")):
            rate = run_scenario(tenant, ids, location_id, writers, args.seconds, args.mode, service_writer)
            floor = run_scenario(tenant, ids, location_id, writers, args.seconds, "processes", function_writer)
            spelled = run_scenario(tenant, ids, location_id, writers, args.seconds, "processes", statements_writer)
            lost, unaudited = integrity(tenant, location_id)
            failed |= bool(lost or unaudited)
            print(
                f"{label:<11} {writers:>7} {rate:>9.0f} {floor:>13.0f} {rate / floor:>6.2f} {spelled:>15.0f}"
                f" {lost:>13} {unaudited:>10}",
                flush=True,
            )
    if failed:
        raise SystemExit("FAILED: a level differs from its ledger or a move has no audit entry")


if __name__ == "__main__":
    main()
