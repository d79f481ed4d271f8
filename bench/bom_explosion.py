"""BOM explosion (recursive CTE vs a naive per-node ORM walk) and a material requirements (MRP) run.

    .venv/bin/python bench/bom_explosion.py [--runs 20] [--naive-runs 5] [--mrp-runs 5] [--mrp-scale 1] [--fanout 4]

Uses its own database (erp_bench_production) on the server DATABASE_URL points to, provisions one tenant in it and
drops the database afterwards.

1. Explosion: a 5-level BOM of about 1,000 lines (1 root; 5 sub-assemblies; 4 under each at levels 2-4; 2
   purchased parts from a pool of 200 under each level-4 sub-assembly: 5 + 20 + 80 + 320 + 640 = 1,065 lines),
   built through `production.services.bom_create` (`--fanout 2`: 2 under each at levels 2-4, 155 lines). It is
   exploded by `production.selectors.bom_explosion` (one recursive CTE) and by a naive walk that asks the ORM for
   each node's BOM and lines; both leaf totals must agree.
   Goal: <= 3 queries and < 50 ms for the CTE. The floor, timed in the same run: the bare recursive CTE (totals per
   component only, no scrap, names, order or cycle guard), reported as the selector's ratio to it.
2. MRP: 10,000 items (500 finished goods, 1,500 sub-assemblies, 8,000 purchased parts; 8,000 BOM lines), stock
   received through inventory's services for 3,000 of them, and 1,000 open orders: 500 confirmed sales orders
   (orders app, its registered demand source) and 500 draft work orders, plus 200 sent purchase orders as supply.
   `planning.engine.mrp_report` is timed. Goal: median < 2 s. `--mrp-scale 0.05` shrinks every count of part 2
   (items, stock, orders) to 5% for a quick run (`make bench`); the goal applies at scale 1.
Master data of part 2 (items, BOMs of a graph built acyclic by construction) is bulk-inserted to keep setup short;
every stock change goes through inventory's services.
"""

from __future__ import annotations

import argparse
import datetime
import os
import random
import time
from decimal import Decimal

from _support import median, private_database

DB_NAME = "erp_bench_production"


def build_explosion_bom(user, fanout: int = 4) -> object:
    from inventory.models import Item, UnitOfMeasure
    from production.services import bom_create

    pcs, kg = UnitOfMeasure.objects.get(code="pcs"), UnitOfMeasure.objects.get(code="kg")
    counter = iter(range(1, 10**6))

    def new_items(prefix: str, count: int, unit: UnitOfMeasure = pcs) -> list[Item]:
        return Item.objects.bulk_create(
            Item(sku=f"{prefix}-{next(counter):05d}", name=f"{prefix} part", uom=unit) for _ in range(count)
        )

    rng = random.Random(1)
    pool = new_items("BUY", 200, kg)  # bought by weight: 0.5 kg of two of them per sub-assembly
    root = new_items("TOP", 1)[0]
    level, lines = [root], 0
    for depth, width in [(1, 5), (2, fanout), (3, fanout), (4, fanout)]:
        below = []
        for parent in level:
            children = new_items(f"L{depth}", width)
            specs = [{"component": c, "quantity": rng.choice([1, 2, 3]), "scrap_percent": "2.5"} for c in children]
            bom_create(item=parent, lines=specs, user=user)
            lines += len(specs)
            below.extend(children)
        level = below
    for parent in level:  # level-4 sub-assemblies: 2 purchased parts each
        parts = rng.sample(pool, 2)
        bom_create(item=parent, lines=[{"component": p, "quantity": "0.5"} for p in parts], user=user)
        lines += 2
    return root, lines


def naive_explosion(item, quantity: Decimal) -> dict[int, Decimal]:
    """What a first version would do: one query for each node's BOM, one for its lines, recursively."""
    from production.models import Bom

    leaves: dict[int, Decimal] = {}

    def walk(parent, qty: Decimal) -> None:
        bom = Bom.objects.filter(item=parent, is_active=True).first()
        for line in bom.lines.select_related("component"):
            total = qty * line.quantity * (1 + line.scrap_percent / 100)
            if Bom.objects.filter(item=line.component, is_active=True).exists():
                walk(line.component, total)
            else:
                leaves[line.component_id] = leaves.get(line.component_id, Decimal(0)) + total

    walk(item, quantity)
    return leaves


_FLOOR_SQL = """
WITH RECURSIVE t(component_id, total) AS (
    SELECT l.component_id, %(quantity)s::numeric * l.quantity
    FROM production_bom b JOIN production_bomline l ON l.bom_id = b.id WHERE b.item_id = %(item)s AND b.is_active
    UNION ALL
    SELECT l.component_id, t.total * l.quantity
    FROM t JOIN production_bom b ON b.item_id = t.component_id AND b.is_active
    JOIN production_bomline l ON l.bom_id = b.id
)
SELECT component_id, sum(total) FROM t GROUP BY component_id
"""


def floor_query(item) -> list:
    """The floor: the bare recursive CTE (totals per component, no scrap, names, order or cycle guard)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(_FLOOR_SQL, {"item": item.pk, "quantity": 10})
        return cursor.fetchall()


def timed(fn, runs: int) -> tuple[float, int, object]:
    """Median milliseconds over `runs`, the query count of one run, and the last result."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        result = fn()
    durations = []
    for _ in range(runs):
        started = time.perf_counter()
        result = fn()
        durations.append((time.perf_counter() - started) * 1000)
    return median(durations), len(captured.captured_queries), result


def bench_explosion(args, user) -> None:
    from production.selectors import bom_explosion

    started = time.perf_counter()
    root, lines = build_explosion_bom(user, args.fanout)
    print(f"explosion BOM: 5 levels, {lines} lines (built through bom_create in {time.perf_counter() - started:.1f} s)")
    cte_ms, cte_queries, explosion = timed(lambda: bom_explosion(item=root, quantity=10), args.runs)
    floor_ms, _, _ = timed(lambda: floor_query(root), args.runs)
    naive_ms, naive_queries, naive = timed(lambda: naive_explosion(root, Decimal(10)), args.naive_runs)
    # the selector reports totals to 10 decimal places; the naive walk is exact
    cte_totals = {leaf.item_id: leaf.total_quantity for leaf in explosion.leaves}
    assert cte_totals.keys() == naive.keys(), "CTE and naive walk found different leaves"
    worst = max(abs(cte_totals[pk] - total) for pk, total in naive.items())
    assert worst < Decimal("1e-8"), f"CTE and naive walk disagree by up to {worst}"
    assert len(explosion.rows) == lines
    print(
        f"  CTE selector : {cte_queries:>5} queries  median {cte_ms:8.2f} ms  "
        f"(n={args.runs}, {len(explosion.rows)} rows)"
    )
    print(f"  naive ORM    : {naive_queries:>5} queries  median {naive_ms:8.2f} ms  (n={args.naive_runs})")
    print(f"  raw SQL floor:     1 query   median {floor_ms:8.2f} ms  (bare CTE, totals per component only)")
    print(f"  ratio CTE selector / floor: {cte_ms / floor_ms:.1f}x")
    print(f"  ratio naive/CTE: {naive_ms / cte_ms:.0f}x time, {naive_queries / cte_queries:.0f}x queries")
    print(f"  goal <= 3 queries and < 50 ms: {'met' if cte_queries <= 3 and cte_ms < 50 else 'NOT met'}")


def build_mrp_data(user, scale: float = 1.0) -> dict[str, int]:
    from inventory.models import Item, Location, UnitOfMeasure
    from inventory.services import stock_receive
    from production.models import Bom, BomLine
    from production.services import work_order_create

    rng = random.Random(2)

    def scaled(count: int) -> int:
        return max(2, round(count * scale))

    pcs = UnitOfMeasure.objects.get(code="pcs")

    def items(prefix: str, count: int, kind: str) -> list[Item]:
        return Item.objects.bulk_create(
            Item(sku=f"{prefix}-{i:05d}", name=f"{prefix} {i}", uom=pcs, kind=kind, lead_time_days=rng.randint(1, 20))
            for i in range(count)
        )

    raw = items("RAW", scaled(8000), Item.Kind.RAW_MATERIAL)
    subs = items("SUB", scaled(1500), Item.Kind.COMPONENT)
    goods = items("FG", scaled(500), Item.Kind.FINISHED_GOOD)
    boms = Bom.objects.bulk_create(Bom(item=item, version="1") for item in subs + goods)
    lines = []
    for bom in boms:
        parts = rng.sample(raw, 4) if bom.item.sku.startswith("SUB") else rng.sample(subs, 2) + rng.sample(raw, 2)
        lines += [
            BomLine(bom=bom, position=i, component=p, quantity=rng.choice([1, 2, 4])) for i, p in enumerate(parts)
        ]
    BomLine.objects.bulk_create(lines)

    receiving = Location.objects.get(is_default_receiving=True)
    for part in rng.sample(raw, scaled(2500)) + rng.sample(subs, scaled(500)):
        stock_receive(item=part, location=receiving, quantity=rng.randint(10, 500), user=user)

    today = datetime.date.today()
    counts = {"items": len(raw) + len(subs) + len(goods), "bom_lines": len(lines), "work_orders": 0}
    for i in range(scaled(500)):
        work_order_create(
            item=rng.choice(goods + subs), quantity=rng.randint(1, 50),
            due_date=today + datetime.timedelta(days=rng.randint(5, 90)), user=user, number=f"WO-B{i:05d}",
        )  # fmt: skip
        counts["work_orders"] += 1
    try:
        from orders.services import (
            partner_create,
            purchase_order_create,
            purchase_order_send,
            sales_order_confirm,
            sales_order_create,
        )
    except ImportError:
        for i in range(scaled(500), 2 * scaled(500)):  # no orders app: open work orders stand in for the sales orders
            work_order_create(
                item=rng.choice(goods), quantity=rng.randint(1, 50),
                due_date=today + datetime.timedelta(days=rng.randint(5, 90)), user=user, number=f"WO-B{i:05d}",
            )  # fmt: skip
            counts["work_orders"] += 1
        counts["sales_orders"] = counts["purchase_orders"] = 0
        return counts
    customer = partner_create(code="CUST", name="Customer", is_customer=True, user=user)
    supplier = partner_create(code="SUPP", name="Supplier", is_supplier=True, user=user)
    for _ in range(scaled(500)):
        order = sales_order_create(
            customer=customer, user=user,
            lines=[{"item": rng.choice(goods), "quantity": rng.randint(1, 20), "unit_price": "10",
                    "promised_date": today + datetime.timedelta(days=rng.randint(10, 120))}],
        )  # fmt: skip
        sales_order_confirm(order=order, user=user)
    for _ in range(scaled(200)):
        order = purchase_order_create(
            supplier=supplier, user=user,
            lines=[{"item": rng.choice(raw), "quantity": rng.randint(10, 100), "unit_cost": "1",
                    "expected_date": today + datetime.timedelta(days=rng.randint(1, 30))}],
        )  # fmt: skip
        purchase_order_send(order=order, user=user)
    counts["sales_orders"], counts["purchase_orders"] = scaled(500), scaled(200)
    return counts


def bench_mrp(args, user) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from planning import sources
    from planning.engine import mrp_report

    started = time.perf_counter()
    counts = build_mrp_data(user, args.mrp_scale)
    print(
        f"MRP data: {counts['items']:,} items, {counts['bom_lines']:,} BOM lines, open orders: "
        f"{counts['sales_orders']} confirmed sales orders + {counts['work_orders']} draft work orders "
        f"(+ {counts['purchase_orders']} sent purchase orders as supply); "
        f"built in {time.perf_counter() - started:.1f} s"
    )
    if not counts["sales_orders"]:
        print("  (orders app not importable: every open order is a work order)")
    print(f"  sources: { {kind.value: sorted(sources.registered(kind)) for kind in sources.Kind} }")
    with CaptureQueriesContext(connection) as captured:
        report = mrp_report()
    durations = []
    for _ in range(args.mrp_runs):
        started = time.perf_counter()
        report = mrp_report()
        durations.append(time.perf_counter() - started)
    makes = sum(1 for line in report if line.action == "make")
    print(
        f"  mrp_report: {len(captured.captured_queries)} queries, median {median(durations):.3f} s "
        f"(min {min(durations):.3f}, max {max(durations):.3f}, n={args.mrp_runs}); "
        f"{len(report):,} shortage lines ({makes} make, {len(report) - makes} buy)"
    )
    print(f"  goal < 2 s: {'met' if median(durations) < 2 else 'NOT met'}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=20, help="timed runs of the CTE explosion")
    parser.add_argument("--naive-runs", type=int, default=5, help="timed runs of the naive walk")
    parser.add_argument("--mrp-runs", type=int, default=5, help="timed MRP runs")
    parser.add_argument("--fanout", type=int, default=4, help="sub-assemblies under each at BOM levels 2-4")
    parser.add_argument("--mrp-scale", type=float, default=1.0, help="fraction of the MRP data set to build")
    args = parser.parse_args()

    print(f"load average at start: {' '.join(f'{x:.2f}' for x in os.getloadavg())} ({os.cpu_count()} cores)")
    try:
        with private_database(DB_NAME):
            measure(args)
    finally:
        print(f"load average at end: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


def measure(args: argparse.Namespace) -> None:
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django_tenants.utils import tenant_context

    from tenants.schema_template import ensure_fresh_template
    from tenants.services import tenant_create

    call_command("migrate_schemas", shared=True, interactive=False, verbosity=0)
    ensure_fresh_template()
    tenant = tenant_create(slug="benchprod", name="Bench production", admin_email="boss@bench.test").tenant
    with tenant_context(tenant):
        user = get_user_model().objects.get(username="boss")
        bench_explosion(args, user)
        bench_mrp(args, user)


if __name__ == "__main__":
    main()
