"""Filtering items by a custom field: `?cf_<key>=value` through the selector the API uses, on 100,000 items.

    .venv/bin/python bench/custom_fields.py [--items 100000] [--runs 50]

Uses its own database (erp_bench_custom_fields) on the server DATABASE_URL points to, provisions one tenant in it
and drops the database afterwards.

Data: four custom fields of items (customfields definitions, written by the service): colour (choice of 10),
batch (text, 1,000 distinct values), weight_kg (number), hazardous (yes/no); the items are bulk-inserted in the
tenant's schema with values for each, then ANALYZEd.

Timed, as `/api/v1/items/?cf_...` runs it: `inventory.selectors.items_with_custom_values` (reads the definitions,
checks and coerces the value, one JSONB containment `attributes @> {...}`) and the first page of 50 ordered by SKU
plus the count, median of `--runs` per filter with a different value each run:
- selective: `cf_batch=<one of 1,000>` (~0.1% of the items),
- two fields: `cf_batch=... & cf_hazardous=true`,
- broad: `cf_colour=<one of 10>` (~10%).
Goal: median < 20 ms for the selective filter at the default size. The plan of each is printed (does it use the GIN
index `inventory_item_attrs_gin`?). The floor, in the same run on the same data and values: the same queries with
index scans turned off (`SET enable_bitmapscan/indexscan = off`: a sequential scan of the table), reported as the
ratio to it.
"""

from __future__ import annotations

import argparse
import os
import random
import time

from _support import median, private_database

DB_NAME = "erp_bench_custom_fields"
COLOURS = ["red", "blue", "green", "black", "white", "grey", "yellow", "orange", "brown", "violet"]
BATCHES = 1000
PAGE = 50  # the API's page size (REST_FRAMEWORK PAGE_SIZE)


def build(args: argparse.Namespace, tenant, user) -> None:
    from django.db import connection
    from django_tenants.utils import schema_context, tenant_context

    from customfields.services import custom_field_create
    from inventory.models import Item, UnitOfMeasure

    rng = random.Random(11)
    with tenant_context(tenant):
        custom_field_create(entity="item", key="colour", label="Colour", user=user, field_type="choice",
                            choices=COLOURS)  # fmt: skip
        custom_field_create(entity="item", key="batch", label="Batch", user=user)
        custom_field_create(entity="item", key="weight_kg", label="Weight (kg)", user=user, field_type="number")
        custom_field_create(entity="item", key="hazardous", label="Hazardous", user=user, field_type="yes_no")
        pcs = UnitOfMeasure.objects.get(code="pcs")
        chunk = 10_000
        for start in range(0, args.items, chunk):
            Item.objects.bulk_create(
                Item(
                    sku=f"CF-{n:07d}",
                    name=f"Part {n}",
                    uom=pcs,
                    attributes={
                        "colour": rng.choice(COLOURS),
                        "batch": f"B-{rng.randrange(BATCHES):04d}",
                        "weight_kg": f"{rng.randrange(1, 100_000) / 100}",
                        "hazardous": rng.random() < 0.2,
                    },
                )
                for n in range(start, min(start + chunk, args.items))
            )
    with schema_context(tenant.schema_name), connection.cursor() as cursor:
        cursor.execute("ANALYZE inventory_item")  # as the owner: the tenant's role may not analyze its tables


def api_page(params: dict[str, str]) -> tuple[int, list]:
    """What the item list's API view runs for `params`: the filter, then the first page and the count."""
    from inventory import selectors
    from inventory.models import Item

    items = selectors.items_with_custom_values(Item.objects.select_related("uom").order_by("sku"), params)
    page = list(items[: PAGE + 1])
    return (items.count() if len(page) > PAGE else len(page)), page[:PAGE]


def timed(label: str, make_params, runs: int, *, floor: bool) -> float:
    from django.db import connection, transaction

    rng = random.Random(5)
    samples, matched = [], []
    for _ in range(runs):
        params = make_params(rng)
        with transaction.atomic():
            if floor:
                with connection.cursor() as cursor:
                    cursor.execute("SET LOCAL enable_bitmapscan = off; SET LOCAL enable_indexscan = off")
            started = time.perf_counter()
            count, _ = api_page(params)
            samples.append((time.perf_counter() - started) * 1000)
        matched.append(count)
    ms = median(samples)
    what = "seq scan floor" if floor else "selector"
    print(f"  {label:<11} {what:<15} median {ms:7.2f} ms (min {min(samples):.2f}, max {max(samples):.2f}), "
          f"~{median(matched):,.0f} rows matched")  # fmt: skip
    return ms


def plan_uses_index(params: dict[str, str]) -> bool:
    from inventory import selectors
    from inventory.models import Item

    plan = selectors.items_with_custom_values(Item.objects.order_by("sku"), params)[: PAGE + 1].explain()
    return "inventory_item_attrs_gin" in plan


def measure(args: argparse.Namespace) -> None:
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django_tenants.utils import tenant_context

    from tenants.schema_template import ensure_fresh_template
    from tenants.services import tenant_create

    call_command("migrate_schemas", shared=True, interactive=False, verbosity=0)
    ensure_fresh_template()
    tenant = tenant_create(slug="benchcf", name="Bench custom fields", admin_email="boss@bench.test").tenant
    with tenant_context(tenant):
        user = get_user_model().objects.get(username="boss")
    started = time.perf_counter()
    build(args, tenant, user)
    print(f"data: {args.items:,} items with 4 custom fields each; built in {time.perf_counter() - started:.1f} s")

    filters = {
        "selective": lambda rng: {"cf_batch": f"B-{rng.randrange(BATCHES):04d}"},
        "two fields": lambda rng: {"cf_batch": f"B-{rng.randrange(BATCHES):04d}", "cf_hazardous": "true"},
        "broad": lambda rng: {"cf_colour": rng.choice(COLOURS)},
    }
    results = {}
    with tenant_context(tenant):
        for label, make in filters.items():
            uses = plan_uses_index(make(random.Random(1)))
            print(f"{label}: plan uses the GIN index: {'yes' if uses else 'NO'}")
            ms = timed(label, make, args.runs, floor=False)
            floor_ms = timed(label, make, max(3, args.runs // 5), floor=True)
            print(f"  ratio to the seq scan: {ms / floor_ms:.3f}")
            results[label] = (ms, uses)
    ms, uses = results["selective"]
    print(
        f"selective filter median {ms:.2f} ms, GIN index used: {'yes' if uses else 'no'}; goal < 20 ms: "
        f"{'met' if ms < 20 else 'NOT met'}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--items", type=int, default=100_000, help="items in the tenant")
    parser.add_argument("--runs", type=int, default=50, help="timed filter queries per filter")
    args = parser.parse_args()

    print(f"load average at start: {' '.join(f'{x:.2f}' for x in os.getloadavg())} ({os.cpu_count()} cores)")
    try:
        with private_database(DB_NAME):
            measure(args)
    finally:
        print(f"load average at end: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
