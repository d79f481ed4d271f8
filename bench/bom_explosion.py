"""BOM explosion: recursive CTE vs a naive per-node ORM walk (MRP has its own: bench/mrp.py).

    .venv/bin/python bench/bom_explosion.py [--runs 20] [--naive-runs 5] [--fanout 4]

Uses its own database (erp_bench_production) on the server DATABASE_URL points to, provisions one tenant in it and
drops the database afterwards.

A 5-level BOM of about 1,000 lines (1 root; 5 sub-assemblies; 4 under each at levels 2-4; 2
   purchased parts from a pool of 200 under each level-4 sub-assembly: 5 + 20 + 80 + 320 + 640 = 1,065 lines),
   built through `production.services.bom_create` (`--fanout 2`: 2 under each at levels 2-4, 155 lines). It is
   exploded by `production.selectors.bom_explosion` (one recursive CTE) and by a naive walk that asks the ORM for
   each node's BOM and lines; both leaf totals must agree.
   Goal: <= 3 queries and < 50 ms for the CTE. The floor, timed in the same run: the bare recursive CTE (totals per
   component only, no scrap, names, order or cycle guard), reported as the selector's ratio to it.
"""

from __future__ import annotations

import argparse
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=20, help="timed runs of the CTE explosion")
    parser.add_argument("--naive-runs", type=int, default=5, help="timed runs of the naive walk")
    parser.add_argument("--fanout", type=int, default=4, help="sub-assemblies under each at BOM levels 2-4")
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


if __name__ == "__main__":
    main()
