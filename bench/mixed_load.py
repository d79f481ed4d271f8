"""Benchmark: every kind of stock writer at once over HTTP on a few hot items, then the books are checked.

    .venv/bin/python bench/mixed_load.py [--seconds 60] [--clients 16] [--items 20]

Uses its own database (erp_bench_mixed_load) on the server DATABASE_URL points to, provisions one tenant in it,
serves the product with gunicorn on loopback (erp/gunicorn_conf.py's workers, no edge) and drops the database
afterwards. `--clients` HTTP clients (threads of this process, each request on a connection of its own, with an API
key of a tenant admin) mix, for `--seconds`, at random:

- stock moves (POST /moves/): receive, issue, transfer between the two hot locations; count (POST /moves/count/);
  reverse one of the client's own earlier moves (POST /moves/{id}/reverse/);
- sales orders: confirm (a new draft of one or two hot items, then confirm: reserves), reserve, ship all of it
  (POST /shipments/), cancel (releases its reservation);
- purchase orders: receive (a new order, sent, then received in full: POST /receipts/);
- work orders (half the hot items are made of two of the other half): release (reserves components), complete
  (start, then complete: consumes the reservation, receives the product), cancel, un-complete (one the client
  completed: reverses its moves, reserves the components again);
- returns: a customer return of a shipment the client made (POST /shipments/{id}/return/), a return to the supplier
  of a receipt it made (POST /receipts/{id}/return/);
- one item tracked by lot, at the same two locations: receive into one of a few lots (POST /moves/ with lots),
  issue and transfer first-expiry-first-out, ship a sales order of it (confirm, then ship: FEFO).

Every kind works on the same `--items` items at two locations, so they contend on the same level rows. It prints
operations/s per kind (the operation's own request; the drafts and starts it needs are counted as "setup"), with
the refusals (4xx: not enough stock, already reversed, ...), and fails (exit status 1) unless at the end:
no response was 5xx, every level's on hand equals the ledger's sum for its item and location, every level's reserved
equals the open reservations (sales order lines and work order components there) and the reservation history
(Σ reservation entries, `inventory.selectors.reservation_mismatches`), the lot levels of a tracked item add up to its
level at each location, nothing is negative.
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import json
import os
import random
import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field

from _support import private_database, served

DB_NAME = "erp_bench_mixed_load"
SEED = 400  # units of each hot item at each hot location to begin with

KINDS = (
    "receive",
    "issue",
    "transfer",
    "count",
    "reverse",
    "sales confirm",
    "sales reserve",
    "sales ship",
    "sales cancel",
    "purchase receive",
    "work-order release",
    "work-order complete",
    "work-order cancel",
    "work-order uncomplete",
    "customer return",
    "supplier return",
    "lot receive",
    "lot issue",
    "lot transfer",
    "lot ship",
)
LOTS = 4  # lot codes of the tracked item, each with its own expiry date


def lot_entry(n: int, quantity: object) -> dict:
    return {"code": f"LOT-{n}", "quantity": str(quantity), "expiry_date": f"2027-{n + 1:02d}-01"}


@dataclass
class Fixture:
    host: str
    key: str
    items: list[int]
    products: list[int]  # items with a BOM
    locations: list[int]
    lot_item: int  # tracked by lot
    customer: int
    supplier: int


def create_fixture(item_count: int) -> tuple[object, Fixture]:
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django_tenants.utils import tenant_context

    from access.services import api_key_create, user_set_role
    from inventory.models import Item, Location, UnitOfMeasure
    from inventory.services import stock_receive
    from orders.services import partner_create
    from production.services import bom_create
    from tenants.services import tenant_create

    slug = f"mixed-{uuid.uuid4().hex[:6]}"
    tenant = tenant_create(slug=slug, name="Mixed load bench", admin_email="m@bench.test", plan="premium").tenant
    with tenant_context(tenant):
        user = get_user_model().objects.create_user(username="bench", password=None)
        user_set_role(user=user, role="admin", by=None)
        key = api_key_create(name="bench", scope="read_write", user=user, created_by=None).key
        unit = UnitOfMeasure.objects.get(code="pcs")
        locations = [Location.objects.create(code=f"HOT-{n}", name=f"Hot bin {n}") for n in (1, 2)]
        items = Item.objects.bulk_create(
            [Item(sku=f"HOT-{n:03d}", name=f"Hot item {n}", uom=unit) for n in range(item_count)]
        )
        for item in items:
            for location in locations:
                stock_receive(item=item, location=location, quantity=SEED, user=None, reference="seed")
        lot_item = Item.objects.create(sku="HOT-LOT", name="Hot lot item", uom=unit, tracking=Item.Tracking.LOT)
        for location in locations:
            for n in range(LOTS):
                lots = [lot_entry(n, SEED // LOTS)]
                stock_receive(item=lot_item, location=location, quantity=SEED // LOTS, user=None, lots=lots)
        half = max(1, item_count // 2)
        products, components = items[:half], items[half:] or items[:1]
        if item_count >= 2:
            for n, product in enumerate(products):
                parts = {components[n % len(components)].pk: 1, components[(n + 1) % len(components)].pk: 1}
                lines = [{"component": Item.objects.get(pk=pk), "quantity": qty} for pk, qty in parts.items()]
                bom_create(item=product, lines=lines, version="1", user=None)
        else:
            products = []
        customer = partner_create(code="CUST", name="Customer", is_customer=True, user=None)
        supplier = partner_create(code="SUPP", name="Supplier", is_supplier=True, user=None)
    fixture = Fixture(
        host=f"{slug}.{settings.BASE_DOMAIN}",
        key=key,
        items=[item.pk for item in items],
        products=[item.pk for item in products],
        locations=[location.pk for location in locations],
        lot_item=lot_item.pk,
        customer=customer.pk,
        supplier=supplier.pk,
    )
    return tenant, fixture


@dataclass
class Tally:
    """What all clients saw: operations per kind and status, setup requests per status, 5xx bodies."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    operations: Counter = field(default_factory=Counter)  # (kind, status)
    setup: Counter = field(default_factory=Counter)  # status
    errors: list[str] = field(default_factory=list)


class Client:
    """One HTTP client: posts the operations, keeps its own open orders and moves to act on later."""

    def __init__(self, port: int, fixture: Fixture, tally: Tally, seed: int) -> None:
        self.port, self.fixture, self.tally = port, fixture, tally
        self.rng = random.Random(seed)
        self.moves: list[int] = []
        self.sales: list[dict] = []  # confirmed, open: the order as the API answered
        self.work_orders: list[int] = []  # released
        self.completed: list[int] = []  # work orders completed
        self.shipments: list[dict] = []  # as the API answered
        self.receipts: list[dict] = []
        self.today = time.strftime("%Y-%m-%d")

    def post(self, path: str, body: dict | None, kind: str | None = None) -> tuple[int, dict]:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        try:
            connection.request(
                "POST",
                f"/api/v1/{path}",
                body=json.dumps(body or {}),
                headers={
                    "Host": self.fixture.host,
                    "Authorization": f"Api-Key {self.fixture.key}",
                    "Content-Type": "application/json",
                },
            )
            response = connection.getresponse()
            raw = response.read()
            status = response.status
        except (OSError, http.client.HTTPException) as exc:
            status, raw = 599, str(exc).encode()
        finally:
            connection.close()
        with self.tally.lock:
            if kind is None:
                self.tally.setup[status] += 1
            else:
                self.tally.operations[(kind, status)] += 1
            if status >= 500:
                self.tally.errors.append(f"{status} {path} ({kind or 'setup'}): {raw[:300]!r}")
        try:
            answer = json.loads(raw) if raw else {}
        except ValueError:
            answer = {}
        return status, answer if isinstance(answer, dict) else {"results": answer}

    # --- the operations -------------------------------------------------------------------------------------
    def item(self) -> int:
        return self.rng.choice(self.fixture.items)

    def location(self) -> int:
        return self.rng.choice(self.fixture.locations)

    def quantity(self) -> str:
        return str(self.rng.randint(1, 3))

    def move(self, kind: str, body: dict) -> None:
        status, answer = self.post("moves/", {"item": self.item(), "quantity": self.quantity(), **body}, kind)
        if status == 201:
            self.moves.append(answer["id"])

    def receive(self) -> None:
        self.move("receive", {"reason": "receipt", "to_location": self.location()})

    def issue(self) -> None:
        self.move("issue", {"reason": "issue", "from_location": self.location()})

    def transfer(self) -> None:
        source, target = self.rng.sample(self.fixture.locations, 2)
        self.move("transfer", {"reason": "transfer", "from_location": source, "to_location": target})

    def count(self) -> None:
        body = {"item": self.item(), "location": self.location(), "counted_quantity": str(self.rng.randint(300, 500))}
        self.post("moves/count/", body, "count")

    def reverse(self) -> None:
        if not self.moves:
            return self.receive()
        self.post(f"moves/{self.moves.pop(self.rng.randrange(len(self.moves)))}/reverse/", {}, "reverse")

    def sales_confirm(self) -> None:
        items = self.rng.sample(self.fixture.items, min(2, len(self.fixture.items)))
        lines = [
            {"item": i, "quantity": self.quantity(), "unit_price": "1", "promised_date": self.today} for i in items
        ]
        body = {"customer": self.fixture.customer, "location": self.location(), "lines": lines}
        status, order = self.post("sales-orders/", body)
        if status != 201:
            return
        status, order = self.post(f"sales-orders/{order['id']}/confirm/", None, "sales confirm")
        if status == 200:
            self.sales.append(order)

    def open_sale(self, fallback) -> dict | None:
        if not self.sales:
            fallback()
            return None
        return self.rng.choice(self.sales)

    def sales_reserve(self) -> None:
        order = self.open_sale(self.sales_confirm)
        if order is not None:
            self.post(f"sales-orders/{order['id']}/reserve/", None, "sales reserve")

    def sales_ship(self) -> None:
        order = self.open_sale(self.sales_confirm)
        if order is None:
            return
        self.ship(order, "sales ship")

    def ship(self, order: dict, kind: str) -> None:
        lines = [{"line": line["id"], "quantity": line["quantity"]} for line in order["lines"]]
        status, shipment = self.post("shipments/", {"order": order["id"], "lines": lines}, kind)
        if status == 201:
            self.sales.remove(order)
            if kind == "sales ship":  # a return takes no lots yet: the lot item's shipments are not returned
                self.shipments.append(shipment)

    def sales_cancel(self) -> None:
        order = self.open_sale(self.sales_confirm)
        if order is None:
            return
        status, _ = self.post(f"sales-orders/{order['id']}/cancel/", {"reason": "bench"}, "sales cancel")
        if status == 200:
            self.sales.remove(order)

    def purchase_receive(self) -> None:
        lines = [{"item": self.item(), "quantity": self.quantity(), "unit_cost": "1"}]
        status, order = self.post("purchase-orders/", {"supplier": self.fixture.supplier, "lines": lines})
        if status != 201:
            return
        status, order = self.post(f"purchase-orders/{order['id']}/send/", None)
        if status != 200:
            return
        received = [{"line": line["id"], "quantity": line["quantity"]} for line in order["lines"]]
        body = {"order": order["id"], "location": self.location(), "lines": received}
        status, receipt = self.post("receipts/", body, "purchase receive")
        if status == 201:
            self.receipts.append(receipt)

    def work_order_release(self) -> None:
        if not self.fixture.products:
            return self.receive()
        body = {"item": self.rng.choice(self.fixture.products), "quantity": self.quantity(), "due_date": self.today}
        status, order = self.post("production/work-orders/", body)
        if status != 201:
            return
        status, _ = self.post(
            f"production/work-orders/{order['id']}/release/", {"location": self.location()}, "work-order release"
        )
        if status == 200:
            self.work_orders.append(order["id"])

    def work_order_complete(self) -> None:
        if not self.work_orders:
            return self.work_order_release()
        order = self.work_orders.pop(self.rng.randrange(len(self.work_orders)))
        status, _ = self.post(f"production/work-orders/{order}/start/", None)
        if status == 200:
            status, _ = self.post(f"production/work-orders/{order}/complete/", {}, "work-order complete")
            if status == 200:
                self.completed.append(order)

    def work_order_cancel(self) -> None:
        if not self.work_orders:
            return self.work_order_release()
        order = self.work_orders.pop(self.rng.randrange(len(self.work_orders)))
        self.post(f"production/work-orders/{order}/cancel/", None, "work-order cancel")

    def work_order_uncomplete(self) -> None:
        if not self.completed:
            return self.work_order_complete()
        order = self.completed.pop(self.rng.randrange(len(self.completed)))
        self.post(f"production/work-orders/{order}/uncomplete/", None, "work-order uncomplete")

    def customer_return(self) -> None:
        if not self.shipments:
            return self.sales_ship()
        shipment = self.shipments.pop(self.rng.randrange(len(self.shipments)))
        line = self.rng.choice(shipment["shipped_lines"])
        body = {"lines": [{"line": line["id"], "quantity": line["quantity"]}]}
        self.post(f"shipments/{shipment['id']}/return/", body, "customer return")

    def supplier_return(self) -> None:
        if not self.receipts:
            return self.purchase_receive()
        receipt = self.receipts.pop(self.rng.randrange(len(self.receipts)))
        lines = [{"line": line["id"], "quantity": line["quantity"]} for line in receipt["received_lines"]]
        self.post(f"receipts/{receipt['id']}/return/", {"lines": lines}, "supplier return")

    def lot_receive(self) -> None:
        quantity = self.quantity()
        body = {
            "reason": "receipt",
            "to_location": self.location(),
            "lots": [lot_entry(self.rng.randrange(LOTS), quantity)],
        }
        self.post("moves/", {"item": self.fixture.lot_item, "quantity": quantity, **body}, "lot receive")

    def lot_issue(self) -> None:  # first-expiry-first-out
        body = {"item": self.fixture.lot_item, "quantity": self.quantity(), "reason": "issue"}
        self.post("moves/", {**body, "from_location": self.location()}, "lot issue")

    def lot_transfer(self) -> None:  # first-expiry-first-out at the source
        source, target = self.rng.sample(self.fixture.locations, 2)
        body = {"item": self.fixture.lot_item, "quantity": self.quantity(), "reason": "transfer"}
        self.post("moves/", {**body, "from_location": source, "to_location": target}, "lot transfer")

    def lot_ship(self) -> None:
        line = {
            "item": self.fixture.lot_item,
            "quantity": self.quantity(),
            "unit_price": "1",
            "promised_date": self.today,
        }
        body = {"customer": self.fixture.customer, "location": self.location(), "lines": [line]}
        status, order = self.post("sales-orders/", body)
        if status != 201:
            return
        status, order = self.post(f"sales-orders/{order['id']}/confirm/", None)
        if status == 200:
            self.sales.append(order)
            self.ship(order, "lot ship")

    def run(self, deadline: float) -> None:
        operations = [getattr(self, kind.replace(" ", "_").replace("-", "_")) for kind in KINDS]
        while time.monotonic() < deadline:
            self.rng.choice(operations)()


def check_books(tenant) -> list[str]:
    """Levels that disagree with the ledger, the open reservations, the reservation history or their lots, or hold a
    negative quantity."""
    from django.db import connection
    from django_tenants.utils import tenant_context

    from inventory.selectors import reservation_mismatches

    with tenant_context(tenant), connection.cursor() as cursor:
        cursor.execute(
            """
            WITH ledger AS (
                SELECT item_id, location_id, sum(quantity) AS quantity FROM (
                    SELECT item_id, to_location_id AS location_id, quantity FROM inventory_stockmove
                    WHERE to_location_id IS NOT NULL
                    UNION ALL
                    SELECT item_id, from_location_id, -quantity FROM inventory_stockmove
                    WHERE from_location_id IS NOT NULL
                ) AS legs GROUP BY item_id, location_id
            ), reservations AS (
                SELECT item_id, location_id, sum(quantity) AS quantity FROM (
                    SELECT l.item_id, o.location_id, l.reserved_quantity AS quantity
                    FROM orders_salesorderline l JOIN orders_salesorder o ON o.id = l.order_id
                    UNION ALL
                    SELECT c.item_id, w.location_id, c.reserved_quantity
                    FROM production_workordercomponent c JOIN production_workorder w ON w.id = c.work_order_id
                    WHERE w.location_id IS NOT NULL
                ) AS held GROUP BY item_id, location_id
            )
            SELECT i.sku, loc.code, s.on_hand, coalesce(g.quantity, 0), s.reserved, coalesce(r.quantity, 0)
            FROM inventory_stocklevel s
            JOIN inventory_item i ON i.id = s.item_id JOIN inventory_location loc ON loc.id = s.location_id
            LEFT JOIN ledger g ON g.item_id = s.item_id AND g.location_id = s.location_id
            LEFT JOIN reservations r ON r.item_id = s.item_id AND r.location_id = s.location_id
            WHERE s.on_hand IS DISTINCT FROM coalesce(g.quantity, 0)
               OR s.reserved IS DISTINCT FROM coalesce(r.quantity, 0)
               OR s.on_hand < 0 OR s.reserved < 0 OR s.on_hand < s.reserved
            ORDER BY 1, 2
            """
        )
        problems = [
            f"{sku} at {code}: on hand {on_hand} (ledger {ledger}), reserved {reserved} (open reservations {held})"
            for sku, code, on_hand, ledger, reserved, held in cursor.fetchall()
        ]
        cursor.execute(
            """
            WITH lots AS (
                SELECT lot.item_id, ll.location_id, sum(ll.on_hand) AS on_hand, min(ll.on_hand) AS lowest
                FROM inventory_lotlevel ll JOIN inventory_lot lot ON lot.id = ll.lot_id
                GROUP BY lot.item_id, ll.location_id
            )
            SELECT i.sku, loc.code, s.on_hand, coalesce(lots.on_hand, 0), lots.lowest
            FROM inventory_stocklevel s
            JOIN inventory_item i ON i.id = s.item_id JOIN inventory_location loc ON loc.id = s.location_id
            LEFT JOIN lots ON lots.item_id = s.item_id AND lots.location_id = s.location_id
            WHERE i.tracking <> 'none' AND (s.on_hand IS DISTINCT FROM coalesce(lots.on_hand, 0) OR lots.lowest < 0)
            ORDER BY 1, 2
            """
        )
        problems += [
            f"{sku} at {code}: on hand {on_hand}, its lots hold {in_lots} (lowest lot level {lowest})"
            for sku, code, on_hand, in_lots, lowest in cursor.fetchall()
        ]
    with tenant_context(tenant):
        problems += [
            f"item #{row.item_id} at location #{row.location_id}: reserved {row.reserved}, "
            f"reservation entries add up to {row.entries}"
            for row in reservation_mismatches()
        ]
    return problems


def deadlocks() -> int:
    """Deadlocks PostgreSQL has detected in this database so far (each one cost a transaction a rerun)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT deadlocks FROM pg_stat_database WHERE datname = current_database()")
        return cursor.fetchone()[0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=60.0, help="how long the clients write")
    parser.add_argument("--clients", type=int, default=16, help="concurrent HTTP clients")
    parser.add_argument("--items", type=int, default=20, help="hot items (at two hot locations)")
    args = parser.parse_args()
    # The bench measures locking, not the plan's rate limit: the server reads the same setting.
    os.environ["TENANT_API_RATE_PREMIUM"] = "1000000/s"

    with private_database(DB_NAME) as url:
        failed = measure(args, url)
    if failed:
        raise SystemExit(f"FAILED: {failed}")


def measure(args: argparse.Namespace, url: str) -> str:
    from django.core.management import call_command
    from django.db import connections

    from tenants.schema_template import ensure_fresh_template

    call_command("migrate_schemas", shared=True, interactive=False, verbosity=0)
    ensure_fresh_template()
    tenant, fixture = create_fixture(args.items)
    connections.close_all()
    env = {**os.environ, "DATABASE_URL": url, "LOG_LEVEL": "WARNING", "CACHE_KEY_PREFIX": f"bench-mixed-{os.getpid()}"}
    tally = Tally()
    with contextlib.ExitStack() as stack:
        port, _, _ = stack.enter_context(served(env, [], edge=False, name="mixed-load"))
        warm_up = [threading.Thread(target=Client(port, fixture, Tally(), seed=-n).receive) for n in range(1, 9)]
        for thread in warm_up:  # every worker's imports, connections, routing cache
            thread.start()
        for thread in warm_up:
            thread.join()
        deadlocks_before = deadlocks()
        connections.close_all()
        deadline = time.monotonic() + args.seconds
        clients = [Client(port, fixture, tally, seed=n) for n in range(args.clients)]
        threads = [threading.Thread(target=client.run, args=(deadline,)) for client in clients]
        started = time.monotonic()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        elapsed = time.monotonic() - started
    problems = check_books(tenant)
    deadlocked = deadlocks() - deadlocks_before

    print(
        f"{args.clients} clients, {args.items} hot items at 2 locations, {elapsed:.1f} s over HTTP (gunicorn, "
        f"threads of one client process)"
    )
    print(f"{'kind':<21} {'ops/s':>7} {'done':>6} {'refused':>8} {'5xx':>5}")
    total = 0
    for kind in KINDS:
        done = sum(n for (k, status), n in tally.operations.items() if k == kind and status < 400)
        refused = sum(n for (k, status), n in tally.operations.items() if k == kind and 400 <= status < 500)
        errors = sum(n for (k, status), n in tally.operations.items() if k == kind and status >= 500)
        total += done
        print(f"{kind:<21} {done / elapsed:>7.1f} {done:>6} {refused:>8} {errors:>5}")
    setup_errors = sum(n for status, n in tally.setup.items() if status >= 500)
    print(f"{'all kinds':<21} {total / elapsed:>7.1f} {total:>6}")
    print(f"setup requests (drafts, sends, starts): {sum(tally.setup.values())}, 5xx {setup_errors}")
    print(f"deadlocks PostgreSQL detected (each retried by core.retry, not answered 5xx): {deadlocked}")
    print(f"levels that disagree with the ledger, the reservations or their lots, or are negative: {len(problems)}")
    for line in (*tally.errors[:10], *problems[:20]):
        print(f"  {line}")
    if tally.errors:
        return f"{len(tally.errors)} responses were 5xx"
    if problems:
        return f"{len(problems)} levels disagree with the ledger, the reservations or their lots"
    return ""


if __name__ == "__main__":
    main()
