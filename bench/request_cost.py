"""CPU per request of the hot endpoints, in the gunicorn workers, next to a floor measured in the same run.

    .venv/bin/python bench/request_cost.py [--requests 200] [--rounds 3] [--only items,moves] [--workers 1]
        [--database NAME]

Uses its own database (erp_bench_request_cost, or --database on the same server) and provisions one tenant with 20
items, stock of each at a location, 20 stock moves, 20 sales orders of 2 lines, signed in as the tenant's administrator
(a JWT for the API; for the pages a session cookie and a CSRF cookie, as a browser holds them). Each endpoint's SQL is
first captured in this process (Django's test client, same requests): that gives its queries per request, and the floor,
a bare Django view served by the same gunicorn (bench/request_cost_floor.py) that runs exactly those statements through
psycopg and returns the last one's rows with `json.dumps`. Then, per round and endpoint, the floor and the endpoint each
get `--requests` sequential requests; the CPU the gunicorn workers used meanwhile (utime + stime from /proc) divided by
the requests is the cost. Prints, per endpoint, the median over the rounds: ms of CPU per request, queries per request,
the floor's ms, and the ratio (goal: <= 3; the item list <= 5 ms). CPU time is less sensitive to a busy machine than
wall time, not immune to it.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import statistics
import tempfile
import time
from dataclasses import dataclass, field
from datetime import date, timedelta

from _support import REPO, drop_database, served, setup_django, use_private_database

DB_NAME = "erp_bench_request_cost"
TICK = os.sysconf("SC_CLK_TCK")


@dataclass
class Endpoint:
    name: str
    method: str
    path: str
    credential: str  # "jwt" or "session"
    status: int
    body: dict | None = None
    queries: int = 0
    statements: list[str] = field(default_factory=list)


def endpoints(ids: dict[str, int]) -> list[Endpoint]:
    receipt = {"item": ids["item"], "quantity": "1", "reason": "receipt", "to_location": ids["location"]}
    return [
        Endpoint("items", "GET", "/api/v1/items/", "jwt", 200),
        Endpoint("stock-levels", "GET", "/api/v1/stock-levels/", "jwt", 200),
        Endpoint("moves", "GET", "/api/v1/moves/", "jwt", 200),
        Endpoint("move-create", "POST", "/api/v1/moves/", "jwt", 201, receipt),
        Endpoint("sales-orders", "GET", "/api/v1/sales-orders/", "jwt", 200),
        Endpoint("sales-order", "GET", f"/api/v1/sales-orders/{ids['order']}/", "jwt", 200),
        Endpoint("dashboard", "GET", "/", "session", 200),
        Endpoint("item-page", "GET", f"/inventory/items/{ids['item']}/", "session", 200),
        Endpoint("scan", "GET", "/inventory/scan/?sku=RC-007", "session", 302),
    ]


def workers_cpu(master: int) -> float:
    """CPU seconds (user + system) of gunicorn's workers: the master's children."""
    total = 0.0
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as stat:
                fields = stat.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == master:
            total += (int(fields[11]) + int(fields[12])) / TICK
    return total


def provision() -> tuple[object, dict[str, int], dict[str, str]]:
    """One tenant with its data; returns it, the ids the endpoints name, and the headers of each credential."""
    from django.contrib.auth import get_user_model
    from django.contrib.sessions.backends.db import SessionStore
    from django.middleware.csrf import _get_new_csrf_string
    from django_tenants.utils import tenant_context

    from access.authentication import tenant_claims
    from access.jwt_keys import TenantRefreshToken
    from inventory.models import Location, UnitOfMeasure
    from inventory.services import item_create, location_create, stock_move_post
    from orders.services import partner_create, sales_order_create
    from tenants.services import tenant_create

    tenant = tenant_create(slug="cost", name="Cost", admin_email="admin@cost.test", plan="premium").tenant
    with tenant_context(tenant):
        admin = get_user_model().objects.get(is_superuser=True)
        unit = UnitOfMeasure.objects.get(code="pcs")
        store = location_create(code="STORE", name="Store", user=admin)
        items = [
            item_create(sku=f"RC-{n:03d}", name=f"Cost item {n}", uom=unit, user=admin, standard_cost="1.50")
            for n in range(20)
        ]
        for item in items:
            stock_move_post(item=item, quantity=100, reason="receipt", to_location=store, user=admin, reference="rc")
        customer = partner_create(code="C-1", name="Customer", user=admin, is_customer=True)
        promised = date.today() + timedelta(days=7)
        orders = [
            sales_order_create(
                customer=customer,
                location=store,
                user=admin,
                lines=[
                    {"item": items[n], "quantity": 2, "unit_price": "3.50", "promised_date": promised},
                    {"item": items[(n + 1) % 20], "quantity": 1, "unit_price": "1.25", "promised_date": promised},
                ],
            )
            for n in range(20)
        ]
        assert Location.objects.filter(pk=store.pk).exists()
        refresh = TenantRefreshToken.for_user(admin)
        for claim, value in tenant_claims(tenant).items():
            refresh[claim] = value
        session = SessionStore()
        session.update(
            {
                "_auth_user_id": str(admin.pk),
                "_auth_user_backend": "access.signin.SignInLimitBackend",  # as a sign-in records it
                "_auth_user_hash": admin.get_session_auth_hash(),
            }
        )
        session.create()
    credentials = {
        "jwt": {"Authorization": f"Bearer {refresh.access_token}", "Accept": "application/json"},
        # A signed-in browser holds its CSRF cookie too: without it, every page would make a new secret and set it.
        "session": {"Cookie": f"sessionid={session.session_key}; csrftoken={_get_new_csrf_string()}"},
    }
    return tenant, {"item": items[7].pk, "location": store.pk, "order": orders[0].pk}, credentials


def capture(endpoint: Endpoint, host: str, headers: dict[str, str]) -> None:
    """Run the endpoint a few times in this process (the first warms caches) and keep the shortest SQL: a request
    that happened to re-check the tenant registry (once a second per process) is not the typical one."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client(HTTP_HOST=host, headers=headers)
    shortest: list[str] | None = None
    for _ in range(4):
        with CaptureQueriesContext(connection) as captured:
            if endpoint.method == "POST":
                response = client.post(endpoint.path, endpoint.body, content_type="application/json")
            else:
                response = client.get(endpoint.path)
        if response.status_code != endpoint.status:
            raise SystemExit(f"{endpoint.name}: {response.status_code} {response.content[:300]!r}")
        statements = [query["sql"] for query in captured.captured_queries]
        if shortest is None or len(statements) < len(shortest):
            shortest = statements
    endpoint.statements = shortest or []
    endpoint.queries = len(endpoint.statements)


def send(port: int, host: str, endpoint: Endpoint, headers: dict[str, str], floor: bool) -> int:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    if floor:
        connection.request("GET", f"/bench/floor/{endpoint.name}/", headers={"Host": host})
    else:
        body = json.dumps(endpoint.body) if endpoint.body is not None else None
        extra = {"Content-Type": "application/json"} if body else {}
        connection.request(endpoint.method, endpoint.path, body=body, headers={"Host": host, **headers, **extra})
    response = connection.getresponse()
    response.read()
    connection.close()
    return response.status


def cost(port: int, master: int, host: str, endpoint: Endpoint, headers: dict[str, str], n: int, floor: bool) -> float:
    """ms of gunicorn workers' CPU per request over `n` sequential requests."""
    expected = 200 if floor else endpoint.status
    before = workers_cpu(master)
    for _ in range(n):
        status = send(port, host, endpoint, headers, floor)
        if status != expected:
            raise SystemExit(f"{endpoint.name}{' floor' if floor else ''}: {status}, expected {expected}")
    return (workers_cpu(master) - before) / n * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=200, help="sequential requests per endpoint and round")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--only", help="comma-separated endpoint names")
    parser.add_argument("--sql", action="store_true", help="print each endpoint's captured SQL")
    parser.add_argument("--database", default=DB_NAME, help="database to create and drop on DATABASE_URL's server")
    args = parser.parse_args()

    url = use_private_database(args.database)
    setup_django()
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection

    try:
        call_command("migrate_schemas", shared=True, interactive=False, verbosity=0)
        tenant, ids, credentials = provision()
        host = f"{tenant.slug}.{settings.BASE_DOMAIN}"
        chosen = endpoints(ids)
        if args.only:
            names = set(args.only.split(","))
            chosen = [e for e in chosen if e.name in names]
        for endpoint in chosen:
            capture(endpoint, host, credentials[endpoint.credential])
            if args.sql:
                print(f"{endpoint.name}:", *(f"  {sql[:300]}" for sql in endpoint.statements), sep="\n")
        connection.close()
        sql_file = tempfile.NamedTemporaryFile("w", suffix=".json", delete=False)  # noqa: SIM115 - removed below
        json.dump({e.name: e.statements for e in chosen}, sql_file)
        sql_file.close()
        env = {
            **os.environ,
            "DATABASE_URL": url,
            "LOG_LEVEL": "WARNING",
            "PYTHONPATH": str(REPO / "bench"),
            "DJANGO_SETTINGS_MODULE": "settings_request_cost",
            "BENCH_FLOOR_SQL": sql_file.name,
            "CACHE_KEY_PREFIX": f"bench-cost-{os.getpid()}",
            "TENANT_API_RATE_PREMIUM": "100000000/min",
        }
        try:
            with served(env, ["--workers", str(args.workers)], edge=False, name="request-cost") as (port, master, _):
                for endpoint in chosen:  # warm-up: imports, connections, routing and any per-process cache
                    for floor in (True, False):
                        cost(port, master, host, endpoint, credentials[endpoint.credential], 5, floor)
                results: dict[str, tuple[list[float], list[float]]] = {e.name: ([], []) for e in chosen}
                for number in range(1, args.rounds + 1):
                    started = time.monotonic()
                    for endpoint in chosen:
                        headers = credentials[endpoint.credential]
                        for index, floor in ((1, True), (0, False)):
                            spent = cost(port, master, host, endpoint, headers, args.requests, floor)
                            results[endpoint.name][index].append(spent)
                    print(f"round {number}: {time.monotonic() - started:.1f} s")
        finally:
            os.unlink(sql_file.name)
        print(
            f"CPU of {args.workers} gunicorn worker(s) per request, median of {args.rounds} rounds x "
            f"{args.requests} sequential requests; floor = the same SQL through psycopg + json.dumps in a bare view"
        )
        print(f"{'endpoint':<14} {'ms CPU/req':>10} {'queries':>8} {'floor ms':>9} {'ratio':>6}")
        for endpoint in chosen:
            spent, floor = (statistics.median(values) for values in results[endpoint.name])
            print(
                f"{endpoint.name:<14} {spent:>10.2f} {endpoint.queries:>8} {floor:>9.2f} "
                f"{spent / floor if floor else float('inf'):>6.2f}"
            )
    finally:
        connection.close()
        drop_database(args.database)


if __name__ == "__main__":
    main()
