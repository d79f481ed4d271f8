"""Lot trace, forward and backward, on a 5-level product: 10,000 lots, 100,000 moves.

    .venv/bin/python bench/trace.py [--lots 10000] [--moves 100000] [--levels 5] [--fanin 3] [--runs 20]

Uses its own database (erp_bench_trace) on the server DATABASE_URL points to, provisions one tenant in it and drops
the database afterwards.

The product has `--levels` levels of lot-tracked items: level 0 is bought, each higher level is made from `--fanin`
lots of the level below, the top level is sold. The lots are spread evenly over the levels.
- Level 0 goes through the services: one purchase order per raw item from one of 10 suppliers, received with all its
  lots (supplier lot and expiry on each) by `orders.services.receipt_create`.
- Levels 1 and up are bulk-inserted as the schema owner, as a restored backup would be: a work order per produced
  lot, its output move, one consumption move per consumed lot, their lot rows and the genealogy rows the work order
  completion writes. The top level's stock levels are set to match, so that
- shipments go through the services again: one sales order per top-level item to one of 10 customers, shipped
  picking half of its lots (`orders.services.shipment_create`).
- The ledger is then filled to `--moves` with transfers of random lots (bulk, owner): moves a trace must not follow.

Timed: `inventory.traceability.lot_trace` forward from random level-0 lots and backward from random shipped top-level
lots (median of `--runs` each, queries counted). Goal: median < 100 ms each way, at the default sizes. The floor, in
the same run on the same roots: the bare recursive walk over the genealogy (lot ids only, no lots, moves or
documents joined), reported as the trace's ratio to it.
"""

from __future__ import annotations

import argparse
import datetime
import os
import random
import time
from decimal import Decimal

from _support import median, private_database

DB_NAME = "erp_bench_trace"
LOT_QUANTITY = Decimal(10)
LOTS_PER_ITEM = 100


def build(args: argparse.Namespace, tenant, user) -> dict:
    from django.contrib.contenttypes.models import ContentType
    from django.db import connection
    from django_tenants.utils import schema_context, tenant_context

    from inventory.models import (
        Item,
        Location,
        Lot,
        LotGenealogy,
        LotLevel,
        StockLevel,
        StockMove,
        StockMoveLot,
        UnitOfMeasure,
    )
    from orders.services import (
        partner_create,
        purchase_order_create,
        purchase_order_send,
        receipt_create,
        sales_order_confirm,
        sales_order_create,
        shipment_create,
    )
    from production.models import WorkOrder

    rng = random.Random(7)
    per_level = max(args.fanin, args.lots // args.levels)
    items_per_level = max(1, per_level // LOTS_PER_ITEM)
    today = datetime.date.today()
    due = today + datetime.timedelta(days=30)

    with tenant_context(tenant):
        pcs = UnitOfMeasure.objects.get(code="pcs")
        receiving = Location.objects.get(is_default_receiving=True)
        levels_items = [
            Item.objects.bulk_create(
                Item(sku=f"L{level}-{n:04d}", name=f"Level {level} part {n}", uom=pcs, tracking=Item.Tracking.LOT)
                for n in range(items_per_level)
            )
            for level in range(args.levels)
        ]
        suppliers = [
            partner_create(code=f"S-{n:02d}", name=f"Supplier {n}", is_supplier=True, user=user) for n in range(10)
        ]
        customers = [
            partner_create(code=f"C-{n:02d}", name=f"Customer {n}", is_customer=True, user=user) for n in range(10)
        ]
        # Level 0: bought through the services, one purchase order and receipt per raw item.
        per_item = [
            per_level // items_per_level + (1 if n < per_level % items_per_level else 0) for n in range(items_per_level)
        ]
        for n, item in enumerate(levels_items[0]):
            count = per_item[n]
            order = purchase_order_create(
                supplier=suppliers[n % len(suppliers)], user=user,
                lines=[{"item": item, "quantity": LOT_QUANTITY * count, "unit_cost": "1", "expected_date": due}],
            )  # fmt: skip
            purchase_order_send(order=order, user=user)
            lots = [
                {"code": f"{item.sku}-{k:04d}", "quantity": LOT_QUANTITY, "supplier_lot": f"SUP-{n}-{k}",
                 "expiry_date": today + datetime.timedelta(days=rng.randint(30, 720))}
                for k in range(count)
            ]  # fmt: skip
            receipt_create(
                order=order,
                user=user,
                lines=[{"line": order.lines.get().pk, "quantity": LOT_QUANTITY * count, "lots": lots}],
            )
        level_lots = [list(Lot.objects.filter(item__in=levels_items[0]).order_by("pk"))]

    # Levels 1 and up: bulk, as the schema owner (the tenant's role may not write the ledger directly).
    with schema_context(tenant.schema_name):
        work_order_type = ContentType.objects.get_for_model(WorkOrder)
        moves_made = StockMove.objects.count()
        wo_number = iter(range(1, 10**7))
        for level in range(1, args.levels):
            items = levels_items[level]
            orders = WorkOrder.objects.bulk_create(
                WorkOrder(number=f"WO-B{next(wo_number):07d}", item=items[k % len(items)], quantity=LOT_QUANTITY,
                          completed_quantity=LOT_QUANTITY, due_date=due, state=WorkOrder.State.DONE, location=receiving)
                for k in range(per_level)
            )  # fmt: skip
            outputs = StockMove.objects.bulk_create(
                StockMove(item_id=wo.item_id, quantity=LOT_QUANTITY, to_location=receiving, reference=wo.number,
                          reason=StockMove.Reason.PRODUCTION_OUTPUT, source_type=work_order_type, source_id=wo.pk)
                for wo in orders
            )  # fmt: skip
            made = Lot.objects.bulk_create(
                Lot(item_id=wo.item_id, code=wo.number, created_by_move=move)
                for wo, move in zip(orders, outputs, strict=True)
            )
            StockMoveLot.objects.bulk_create(
                StockMoveLot(move=move, lot=lot, quantity=LOT_QUANTITY) for move, lot in zip(outputs, made, strict=True)
            )
            used = [rng.sample(level_lots[-1], args.fanin) for _ in orders]
            share = (LOT_QUANTITY / args.fanin).quantize(Decimal("0.0001"))
            consumptions = StockMove.objects.bulk_create(
                StockMove(item_id=lot.item_id, quantity=share, from_location=receiving, reference=wo.number,
                          reason=StockMove.Reason.PRODUCTION_CONSUMPTION, source_type=work_order_type, source_id=wo.pk)
                for wo, lots in zip(orders, used, strict=True) for lot in lots
            )  # fmt: skip
            flat = [(wo, produced, lot) for wo, produced, lots in zip(orders, made, used, strict=True) for lot in lots]
            StockMoveLot.objects.bulk_create(
                StockMoveLot(move=move, lot=lot, quantity=share)
                for move, (_, _, lot) in zip(consumptions, flat, strict=True)
            )
            LotGenealogy.objects.bulk_create(
                LotGenealogy(consumed_lot=lot, produced_lot=produced, quantity=share, source_type=work_order_type,
                             source_id=wo.pk)
                for wo, produced, lot in flat
            )  # fmt: skip
            level_lots.append(made)
            moves_made += len(outputs) + len(consumptions)
        top = level_lots[-1]
        for item in levels_items[-1]:
            lots = [lot for lot in top if lot.item_id == item.pk]
            StockLevel.objects.update_or_create(
                item=item, location=receiving, defaults={"on_hand": LOT_QUANTITY * len(lots), "reserved": 0}
            )
            LotLevel.objects.bulk_create(LotLevel(lot=lot, location=receiving, on_hand=LOT_QUANTITY) for lot in lots)

    # Shipments through the services: half of each top-level item's lots.
    shipped = []
    with tenant_context(tenant):
        for n, item in enumerate(levels_items[-1]):
            lots = [lot for lot in top if lot.item_id == item.pk][::2]
            if not lots:
                continue
            order = sales_order_create(
                customer=customers[n % len(customers)], location=receiving, user=user,
                lines=[{"item": item, "quantity": LOT_QUANTITY * len(lots), "unit_price": "5", "promised_date": due}],
            )  # fmt: skip
            sales_order_confirm(order=order, user=user)
            shipment_create(
                order=order, user=user,
                lines=[{"line": order.lines.get().pk, "quantity": LOT_QUANTITY * len(lots),
                        "lots": [{"code": lot.code, "quantity": LOT_QUANTITY} for lot in lots]}],
            )  # fmt: skip
            shipped.extend(lots)

    # Filler: transfers of random lots between two bins, to make the ledger `--moves` long.
    with schema_context(tenant.schema_name):
        here, there = Location.objects.bulk_create(
            [Location(code="FILL-A", name="A"), Location(code="FILL-B", name="B")]
        )
        all_lots = [lot for lots in level_lots for lot in lots]
        missing = max(0, args.moves - StockMove.objects.count())
        for start in range(0, missing, 10_000):
            batch = [rng.choice(all_lots) for _ in range(min(10_000, missing - start))]
            fillers = StockMove.objects.bulk_create(
                StockMove(item_id=lot.item_id, quantity=1, from_location=here, to_location=there,
                          reason=StockMove.Reason.TRANSFER, reference="filler")
                for lot in batch
            )  # fmt: skip
            StockMoveLot.objects.bulk_create(
                StockMoveLot(move=move, lot=lot, quantity=1) for move, lot in zip(fillers, batch, strict=True)
            )
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
        counts = {
            "lots": Lot.objects.count(),
            "moves": StockMove.objects.count(),
            "move_lots": StockMoveLot.objects.count(),
            "genealogy": LotGenealogy.objects.count(),
        }
    counts["roots_forward"] = [lot.pk for lot in level_lots[0]]
    counts["roots_backward"] = [lot.pk for lot in shipped]
    return counts


FLOOR_SQL = """
WITH RECURSIVE tree(lot_id, depth) AS (
    SELECT %s::bigint, 0
    UNION
    SELECT g.{next}, t.depth + 1 FROM tree t JOIN inventory_lotgenealogy g ON g.{this} = t.lot_id
)
SELECT count(DISTINCT lot_id) FROM tree
"""


def timed(direction: str, roots: list[int], runs: int) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from inventory.traceability import lot_trace

    this, following = ("consumed_lot_id", "produced_lot_id")
    if direction == "backward":
        this, following = following, this
    floor_sql = FLOOR_SQL.format(this=this, next=following)
    rng = random.Random(direction)
    picks = [rng.choice(roots) for _ in range(runs)]
    lot_trace(lot_id=picks[0], direction=direction)  # warm caches (content types, plans)
    durations, floors, queries, reached, moves = [], [], [], [], []
    for root in picks:
        with CaptureQueriesContext(connection) as captured:
            started = time.perf_counter()
            trace = lot_trace(lot_id=root, direction=direction)
            durations.append(time.perf_counter() - started)
        queries.append(len(captured.captured_queries))
        reached.append(len(trace.lots))
        moves.append(len(trace.moves))
        with connection.cursor() as cursor:
            started = time.perf_counter()
            cursor.execute(floor_sql, [root])
            cursor.fetchone()
            floors.append(time.perf_counter() - started)
    ms, floor_ms = median(durations) * 1000, median(floors) * 1000
    print(
        f"  {direction:8s}: median {ms:.1f} ms (min {min(durations) * 1000:.1f}, max {max(durations) * 1000:.1f}, "
        f"n={runs}), {max(queries)} queries; reaches {median(reached):.0f} lots and {median(moves):.0f} "
        f"{'shipments' if direction == 'forward' else 'receipts'} (median); "
        f"floor (bare walk) {floor_ms:.1f} ms, ratio {ms / floor_ms:.1f}x; goal < 100 ms: "
        f"{'met' if ms < 100 else 'NOT met'}"
    )


def measure(args: argparse.Namespace) -> None:
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django_tenants.utils import tenant_context

    from tenants.schema_template import ensure_fresh_template
    from tenants.services import tenant_create

    call_command("migrate_schemas", shared=True, interactive=False, verbosity=0)
    ensure_fresh_template()
    tenant = tenant_create(slug="benchtrace", name="Bench trace", admin_email="boss@bench.test").tenant
    with tenant_context(tenant):
        user = get_user_model().objects.get(username="boss")
    started = time.perf_counter()
    counts = build(args, tenant, user)
    print(
        f"data: {counts['lots']:,} lots over {args.levels} levels (fan-in {args.fanin}), {counts['moves']:,} moves, "
        f"{counts['move_lots']:,} move lot rows, {counts['genealogy']:,} genealogy rows; "
        f"built in {time.perf_counter() - started:.1f} s"
    )
    with tenant_context(tenant):
        timed("forward", counts["roots_forward"], args.runs)
        timed("backward", counts["roots_backward"], args.runs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--lots", type=int, default=10_000, help="lots in all, spread evenly over the levels")
    parser.add_argument("--moves", type=int, default=100_000, help="stock moves in the ledger in all")
    parser.add_argument("--levels", type=int, default=5, help="levels of the product (bought = level 0)")
    parser.add_argument("--fanin", type=int, default=3, help="lots of the level below consumed per produced lot")
    parser.add_argument("--runs", type=int, default=20, help="timed traces each way")
    args = parser.parse_args()

    print(f"load average at start: {' '.join(f'{x:.2f}' for x in os.getloadavg())} ({os.cpu_count()} cores)")
    try:
        with private_database(DB_NAME):
            measure(args)
    finally:
        print(f"load average at end: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
