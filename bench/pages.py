"""Every page of the tenant UI on a large tenant: queries and server time per page.

    .venv/bin/python bench/pages.py [--items 10000] [--moves 50000] [--requests 20] [--only item-list,audit]

Uses its own database (erp_bench_pages) and provisions one tenant:
- `--items` items, inserted in bulk (Item rows by bulk_create: this bypasses `item_create` and its audit rows, only
  for this fixture, because 10,000 service calls would take minutes);
- `--moves` stock moves posted by the ledger's own database function `inventory_post_move` (the statement every stock
  service runs: it creates and locks the levels, checks the rules, inserts the immutable move), called once per move
  from one SQL statement over generate_series and dated over the last 60 days; a receipt of each item, the rest
  issues, one in 40 of them of the same item, whose page then has a long ledger. What the Python service adds on
  top (its argument checks and the audit row) is left out;
- then, through the services (tests/page_walk.py `grow`), 50 of each other thing a page lists: partners, sales and
  purchase orders, a BOM and its work orders, lots, an import, an MRP run over all the items.
Then, signed in as the tenant's administrator, each page (tests/page_walk.py `pages`: the same list the query-count
test pins) is fetched with Django's test client in this process: the queries of one request, and the wall time of
`--requests` sequential requests after a warm-up one (the server's time: middleware, view, template; no network,
no WSGI server), p50 and p95. The floor, measured in the same run the same way, is `/healthz` (routing and the
middleware, no page). A page over 15 queries or 150 ms p95 is flagged with `!`.
"""

from __future__ import annotations

import argparse
import statistics
import time
import warnings
from typing import Any

from _support import drop_database, setup_django, use_private_database

DB_NAME = "erp_bench_pages"
MAX_QUERIES = 15
MAX_P95_MS = 150.0
HISTORY_DAYS = 60

_POST_MOVES = """
SELECT count(*) FILTER (WHERE posted.outcome = 'ok'), count(*)
FROM generate_series(1, %(count)s) AS g
CROSS JOIN LATERAL inventory_post_move(
    CASE WHEN %(issue)s AND g %% 40 = 0 THEN (%(ids)s::bigint[])[1] ELSE (%(ids)s::bigint[])[1 + g %% %(n)s] END,
    %(quantity)s, %(reason)s,
    CASE WHEN %(issue)s THEN %(location)s::bigint END, CASE WHEN %(issue)s THEN NULL ELSE %(location)s::bigint END,
    'bench', NULL, NULL, NULL, %(user)s,
    now() - make_interval(secs => %(span)s * (1 - g::float8 / %(count)s)), false, true
) AS posted
"""


def provision(items: int, moves: int) -> tuple[Any, dict[str, int]]:
    """The tenant, its bulk items and moves, then the rest through the services; returns it and the page ids."""
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django_tenants.utils import tenant_context

    from inventory.models import Item, Location, UnitOfMeasure
    from tenants.services import tenant_create
    from tests.page_walk import grow

    tenant = tenant_create(slug="pages", name="Pages", admin_email="admin@pages.test", plan="premium").tenant
    with tenant_context(tenant):
        admin = get_user_model().objects.get(is_superuser=True)
        pcs = UnitOfMeasure.objects.get(code="pcs")
        dock = Location.objects.get(is_default_receiving=True)
        started = time.monotonic()
        made = Item.objects.bulk_create(
            Item(sku=f"BX-{n:06d}", name=f"Bench item {n}", uom=pcs, standard_cost=1, procurement="buy")
            for n in range(items)
        )
        ids = [item.pk for item in made]
        print(f"{items} items (bulk insert) in {time.monotonic() - started:.1f} s")
        started = time.monotonic()
        posted = 0
        for reason, count, quantity in (("receipt", items, 1000), ("issue", max(moves - items, 0), 1)):
            with connection.cursor() as cursor:
                cursor.execute(
                    _POST_MOVES,
                    {
                        "count": count, "ids": ids, "n": len(ids), "issue": reason == "issue", "quantity": quantity,
                        "reason": reason, "location": dock.pk, "user": admin.pk, "span": HISTORY_DAYS * 86400,
                    },
                )  # fmt: skip
                ok, total = cursor.fetchone()
            if ok != total:
                raise SystemExit(f"{total - ok} of {total} {reason} moves were refused")
            posted += ok
        print(f"{posted} moves (inventory_post_move, one statement) in {time.monotonic() - started:.1f} s")
        started = time.monotonic()
        page_ids = grow(user=admin, rows=50, tag="w")
        print(f"50 of everything else (services) and an MRP run in {time.monotonic() - started:.1f} s")
        page_ids["item"] = ids[0] if ids else page_ids["item"]  # the item with the long ledger
    return tenant, page_ids


def measure(client, url: str, requests: int, sql: bool = False) -> tuple[int, list[float]]:
    """Queries of one request and the ms of `requests` more, each after a warm-up request."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    response = client.get(url)  # warm-up: imports, templates, caches
    if response.status_code != 200:
        raise SystemExit(f"{url}: {response.status_code} {response.content[:300]!r}")
    client.get("/healthz")  # the route cached
    with CaptureQueriesContext(connection) as captured:
        client.get(url)
    queries = sum("tenants_" not in query["sql"] for query in captured.captured_queries)
    if sql:
        print(*(f"    {query['sql'][:400]}" for query in captured.captured_queries), sep="\n")
    times = []
    for _ in range(requests):
        started = time.perf_counter()
        client.get(url)
        times.append((time.perf_counter() - started) * 1000)
    return queries, times


def profile(client, url: str) -> None:
    import cProfile
    import pstats

    profiler = cProfile.Profile()
    profiler.runcall(client.get, url)
    pstats.Stats(profiler).sort_stats("cumulative").print_stats(30)


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--items", type=int, default=10000)
    parser.add_argument("--moves", type=int, default=50000)
    parser.add_argument("--requests", type=int, default=20, help="timed sequential requests per page")
    parser.add_argument("--only", help="comma-separated page names (tests/page_walk.py)")
    parser.add_argument("--sql", action="store_true", help="print each chosen page's SQL")
    parser.add_argument("--profile", action="store_true", help="print each chosen page's top functions (cProfile)")
    args = parser.parse_args()
    warnings.filterwarnings("ignore", message="No directory at")  # whitenoise: static files are not collected here
    use_private_database(DB_NAME)
    setup_django()
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django_tenants.utils import tenant_context

    from tests.page_walk import pages

    try:
        call_command("migrate_schemas", shared=True, interactive=False, verbosity=0)
        tenant, ids = provision(args.items, args.moves)
        client = Client(HTTP_HOST=f"{tenant.slug}.{settings.BASE_DOMAIN}")
        with tenant_context(tenant):
            client.force_login(get_user_model().objects.get(is_superuser=True))
        connection.set_schema_to_public()  # type: ignore[attr-defined]  # django-tenants' wrapper
        chosen = [("floor: /healthz", "/healthz"), *pages(ids)]
        if args.only:
            names = set(args.only.split(","))
            chosen = [(name, url) for name, url in chosen if name in names or name.startswith("floor")]
        print(f"{len(chosen) - 1} pages, {args.requests} sequential requests each, in process (Django test client)")
        print(f"{'page':<22} {'queries':>7} {'p50 ms':>8} {'p95 ms':>8}")
        flagged = []
        for name, url in chosen:
            queries, times = measure(client, url, args.requests, args.sql)
            p50, p95 = statistics.median(times), percentile(times, 0.95)
            over = queries > MAX_QUERIES or p95 > MAX_P95_MS
            if over and not name.startswith("floor"):
                flagged.append(name)
            print(f"{name:<22} {queries:>7} {p50:>8.1f} {p95:>8.1f}{'  !' if over else ''}")
            if args.profile and not name.startswith("floor"):
                profile(client, url)
            connection.set_schema_to_public()  # type: ignore[attr-defined]  # django-tenants' wrapper
        print(f"over {MAX_QUERIES} queries or {MAX_P95_MS:.0f} ms p95: {', '.join(flagged) or 'none'}")
    finally:
        connection.close()
        drop_database(DB_NAME)


if __name__ == "__main__":
    main()
