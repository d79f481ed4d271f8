"""Long documents through the API: a sales order, a purchase order and a BOM of N lines (default 1,000, the cap).

    .venv/bin/python bench/document_lines.py [--lines 1000] [--runs 5]

Uses its own database (erp_bench_document_lines) on the server DATABASE_URL points to, provisions one tenant with
N items, and drops the database afterwards. Each document is POSTed as JSON by a signed-in admin through the whole
request stack in-process (middleware, DRF, serializers, services, the answer with every line), `--runs` times; the
median, the spread and the queries of one request are printed. Goal: < 2 s for 1,000 lines (issue 14; before the
lines were loaded in bulk, a 1,000-line sales order took ~2,000 queries). Also timed: the refusal of a document one
line past DOCUMENT_MAX_LINES and of 2,000 duplicate BOM lines (was 10 s), which must cost next to nothing.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import time

from _support import drop_database, median, setup_django, use_private_database

DB_NAME = "erp_bench_document_lines"
GOAL_SECONDS = 2.0


def timed_post(client, url: str, body: dict, expect: int) -> tuple[float, object]:
    payload = json.dumps(body)
    started = time.perf_counter()
    response = client.post(url, payload, content_type="application/json")
    elapsed = time.perf_counter() - started
    if response.status_code != expect:
        raise SystemExit(f"{url}: expected {expect}, got {response.status_code}: {response.content[:500]!r}")
    return elapsed, response


def query_count(client, url: str, body: dict, expect: int) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        timed_post(client, url, body, expect)
    return len(captured)


def report(name: str, times: list[float], queries: int, goal: float | None) -> None:
    verdict = "" if goal is None else ("  ok" if median(times) < goal else f"  OVER the {goal:g} s goal")
    print(
        f"{name:<42} median {median(times):7.3f} s  (min {min(times):.3f}, max {max(times):.3f}, "
        f"{len(times)} runs)  {queries} queries{verdict}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--lines", type=int, default=1000, help="lines per document (default: the cap, 1,000)")
    parser.add_argument("--runs", type=int, default=5, help="timed requests per document")
    args = parser.parse_args()

    print(f"load average at start: {' '.join(f'{x:.2f}' for x in os.getloadavg())} ({os.cpu_count()} cores)")
    use_private_database(DB_NAME)
    setup_django()
    import logging

    logging.getLogger("django.request").setLevel(logging.ERROR)  # the refusals below are meant; no line each
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django_tenants.utils import tenant_context

    from inventory.models import Item, Location, UnitOfMeasure
    from orders.models import Partner
    from tenants.schema_template import ensure_fresh_template
    from tenants.services import tenant_create

    try:
        call_command("migrate_schemas", shared=True, interactive=False, verbosity=0)
        ensure_fresh_template()
        tenant = tenant_create(slug="benchdocs", name="Bench documents", admin_email="boss@bench.test").tenant
        client = Client(HTTP_HOST=f"{tenant.slug}.{settings.BASE_DOMAIN}")
        with tenant_context(tenant):
            client.force_login(get_user_model().objects.get(username="boss"))
            pcs = UnitOfMeasure.objects.get(code="pcs")
            items = Item.objects.bulk_create(
                [Item(sku=f"L-{n:05d}", name=f"Line item {n}", uom=pcs) for n in range(args.lines)]
            )
            parents = Item.objects.bulk_create(
                [Item(sku=f"ASSY-{n:03d}", name=f"Assembly {n}", uom=pcs) for n in range(args.runs + 2)]
            )
            customer = Partner.objects.create(code="CUST", name="Customer", is_customer=True)
            supplier = Partner.objects.create(code="SUPP", name="Supplier", is_supplier=True)
            location = Location.objects.create(code="SHIP", name="Shipping")
        connection.set_schema_to_public()
        due = (datetime.date.today() + datetime.timedelta(days=14)).isoformat()
        sales = {
            "customer": customer.pk,
            "location": location.pk,
            "lines": [{"item": i.pk, "quantity": "3", "unit_price": "1.25", "promised_date": due} for i in items],
        }
        purchase = {
            "supplier": supplier.pk,
            "lines": [{"item": i.pk, "quantity": "5", "unit_cost": "0.75", "expected_date": due} for i in items],
        }

        def bom(parent) -> dict:
            return {"item": parent.pk, "version": "1", "lines": [{"component": i.pk, "quantity": "2"} for i in items]}

        print(f"{args.lines:,} lines per document, DOCUMENT_MAX_LINES={settings.DOCUMENT_MAX_LINES:,}")
        for name, url, make in (
            ("sales order", "/api/v1/sales-orders/", lambda run: sales),
            ("purchase order", "/api/v1/purchase-orders/", lambda run: purchase),
            ("BOM", "/api/v1/production/boms/", lambda run: bom(parents[run])),
        ):
            queries = query_count(client, url, make(args.runs), 201)
            times = [timed_post(client, url, make(run), 201)[0] for run in range(args.runs)]
            report(f"create a {args.lines:,}-line {name}", times, queries, GOAL_SECONDS if args.lines >= 1000 else None)

        over = settings.DOCUMENT_MAX_LINES + 1
        too_long = {**sales, "lines": (sales["lines"] * (over // max(len(items), 1) + 1))[:over]}
        duplicates = {**bom(parents[-1]), "lines": [{"component": items[0].pk, "quantity": "1"}] * 2000}
        for name, url, body in (
            (f"refuse a {over:,}-line sales order", "/api/v1/sales-orders/", too_long),
            ("refuse 2,000 duplicate BOM lines", "/api/v1/production/boms/", duplicates),
        ):
            queries = query_count(client, url, body, 400)
            times = [timed_post(client, url, body, 400)[0] for _ in range(args.runs)]
            report(name, times, queries, None)
    finally:
        print(f"load average at end: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
        connection.close()
        drop_database(DB_NAME)


if __name__ == "__main__":
    main()
