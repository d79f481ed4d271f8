"""Different kinds of stock writers on the same item and location at once, through the API: never a 5xx, and the
levels agree with the ledger and the open reservations afterwards (issue #15, part 1; the lock order is in
`inventory.services.locking`).

Each round releases one request per client together (a barrier), each thread with its own connection, on committed
data in a throwaway tenant (see tests/orders/test_concurrency.py for why not `transactional_db`). A deadlock used
to surface as a 500 (`DeadlockDetected`): a sales order's row lock also locked its location, which every other
writer's foreign-key check needs while it holds a level row the sales order then waits for.
"""

import threading
from collections import Counter
from decimal import Decimal

import pytest
from django.db import connection
from django.db.models import Sum
from django.test import Client
from django.utils import timezone

from inventory.models import StockLevel
from inventory.selectors import ledger_balance
from inventory.services import stock_receive
from orders import services
from orders.models import SalesOrderLine
from production.models import WorkOrderComponent
from production.services import bom_create, work_order_create
from tests.conftest import host_of
from tests.orders.factories import CustomerFactory, ItemFactory, LocationFactory, SupplierFactory, UserFactory
from tests.support import in_tenant

ROUNDS = 20


@pytest.fixture(autouse=True)
def _no_api_rate_limit(settings):
    """The rounds send bursts a free plan's budget would answer with 429; the limit is not what is tested here."""
    settings.TENANT_API_RATES = dict.fromkeys(settings.TENANT_API_RATES, "100000/min burst 10000")


def api_key() -> str:
    from access.services import api_key_create, user_set_role

    admin = UserFactory(username="racer")
    user_set_role(user=admin, role="admin", by=None)
    return api_key_create(name="race", scope="read_write", user=admin, created_by=None).key


def race_rounds(tenant, key: str, rounds: list[list[tuple[str, dict | None]]]) -> Counter:
    """For each round, POST each (path, body) from its own thread, all released together; count (path kind, status)."""
    statuses: Counter = Counter()
    lock = threading.Lock()

    def post(start: threading.Barrier, path: str, body: dict | None) -> None:
        try:
            # A 500 is a response here: the test client's re-raise would also hit the other threads' clients (it
            # listens to a process-wide signal).
            client = Client(
                HTTP_HOST=host_of(tenant), HTTP_AUTHORIZATION=f"Api-Key {key}", raise_request_exception=False
            )
            start.wait()
            response = client.post(path, body or {}, content_type="application/json")
            outcome = response.status_code
        except BaseException as exc:
            outcome = f"{type(exc).__name__}: {exc}"[:200]
        finally:
            connection.close()
        with lock:
            statuses[(path.split("/")[3], outcome)] += 1

    for requests in rounds:
        start = threading.Barrier(len(requests))
        threads = [threading.Thread(target=post, args=(start, *request)) for request in requests]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
    return statuses


def failures(statuses: Counter) -> dict:
    return {key: count for key, count in statuses.items() if not isinstance(key[1], int) or key[1] >= 500}


def stock_disagreements(tenant) -> list[str]:
    """Every level whose on hand is not its ledger sum, whose reserved is not its open reservations (sales order
    lines and work order components at that location), or that is negative."""

    def check() -> list[str]:
        problems = []
        for level in StockLevel.objects.select_related("item", "location"):
            where = f"{level.item.sku} at {level.location.code}"
            ledger = ledger_balance(item=level.item, location=level.location)
            sales = SalesOrderLine.objects.filter(item=level.item, order__location=level.location).aggregate(
                total=Sum("reserved_quantity")
            )["total"] or Decimal(0)
            production = WorkOrderComponent.objects.filter(
                item=level.item, work_order__location=level.location
            ).aggregate(total=Sum("reserved_quantity"))["total"] or Decimal(0)
            if level.on_hand != ledger:
                problems.append(f"{where}: on hand {level.on_hand}, ledger {ledger}")
            if level.reserved != sales + production:
                problems.append(f"{where}: reserved {level.reserved}, open reservations {sales + production}")
            if level.on_hand < 0 or level.reserved < 0:
                problems.append(f"{where}: negative ({level.on_hand}, {level.reserved})")
        return problems

    return in_tenant(tenant, check)


def sales_order(customer, location, lines):
    today = timezone.localdate()
    return services.sales_order_create(
        customer=customer,
        location=location,
        user=None,
        lines=[
            {"item": item, "quantity": quantity, "unit_price": 1, "promised_date": today} for item, quantity in lines
        ],
    )


def test_sales_order_confirms_racing_stock_issues_never_answer_5xx(scratch_tenant):
    def setup():
        item, store = ItemFactory(sku="MIX-1"), LocationFactory(code="STORE")
        stock_receive(item=item, location=store, quantity=1000, user=None)
        customer = CustomerFactory()
        orders = [sales_order(customer, store, [(item, 3)]) for _ in range(ROUNDS)]
        return api_key(), item, store, orders

    key, item, store, orders = in_tenant(scratch_tenant, setup)
    issue = {"item": item.pk, "quantity": "2", "reason": "issue", "from_location": store.pk}
    rounds = [[(f"/api/v1/sales-orders/{order.pk}/confirm/", None), ("/api/v1/moves/", issue)] for order in orders]

    statuses = race_rounds(scratch_tenant, key, rounds)

    assert failures(statuses) == {}
    assert statuses == {("sales-orders", 200): ROUNDS, ("moves", 201): ROUNDS}
    assert stock_disagreements(scratch_tenant) == []


def test_shipments_racing_receipts_never_answer_5xx(scratch_tenant):
    def setup():
        item, store = ItemFactory(sku="MIX-2"), LocationFactory(code="STORE")
        stock_receive(item=item, location=store, quantity=1000, user=None)
        customer, supplier = CustomerFactory(), SupplierFactory()
        sales = [sales_order(customer, store, [(item, 2)]) for _ in range(ROUNDS)]
        for order in sales:
            services.sales_order_confirm(order=order, user=None)
        purchases = [
            services.purchase_order_create(
                supplier=supplier, user=None, lines=[{"item": item, "quantity": 2, "unit_cost": 1}]
            )
            for _ in range(ROUNDS)
        ]
        for order in purchases:
            services.purchase_order_send(order=order, user=None)
        pairs = [
            (
                {"order": sale.pk, "lines": [{"line": sale.lines.get().pk, "quantity": "2"}]},
                {"order": buy.pk, "location": store.pk, "lines": [{"line": buy.lines.get().pk, "quantity": "2"}]},
            )
            for sale, buy in zip(sales, purchases, strict=True)
        ]
        return api_key(), pairs

    key, pairs = in_tenant(scratch_tenant, setup)
    rounds = [[("/api/v1/shipments/", ship), ("/api/v1/receipts/", receive)] for ship, receive in pairs]

    statuses = race_rounds(scratch_tenant, key, rounds)

    assert failures(statuses) == {}
    assert statuses == {("shipments", 201): ROUNDS, ("receipts", 201): ROUNDS}
    assert stock_disagreements(scratch_tenant) == []


EIGHT_WAY_ROUNDS = 5


def test_eight_way_sales_confirms_racing_work_order_releases_never_answer_5xx(scratch_tenant):
    def setup():
        store = LocationFactory(code="STORE")
        product, left, right = ItemFactory(sku="MIX-F"), ItemFactory(sku="MIX-C1"), ItemFactory(sku="MIX-C2")
        for component in (left, right):
            stock_receive(item=component, location=store, quantity=10000, user=None)
        bom_create(item=product, lines=[{"component": left, "quantity": 1}, {"component": right, "quantity": 1}],
                   version="1", user=None)  # fmt: skip
        customer = CustomerFactory()
        due = timezone.localdate()
        rounds = []
        for _ in range(EIGHT_WAY_ROUNDS):
            confirms = [sales_order(customer, store, [(left, 1), (right, 1)]) for _ in range(4)]
            releases = [work_order_create(item=product, quantity=1, due_date=due, user=None) for _ in range(4)]
            rounds.append(
                [(f"/api/v1/sales-orders/{order.pk}/confirm/", None) for order in confirms]
                + [
                    (f"/api/v1/production/work-orders/{order.pk}/release/", {"location": store.pk})
                    for order in releases
                ]
            )
        return api_key(), rounds

    key, rounds = in_tenant(scratch_tenant, setup)

    statuses = race_rounds(scratch_tenant, key, rounds)

    assert failures(statuses) == {}
    assert statuses == {("sales-orders", 200): 4 * EIGHT_WAY_ROUNDS, ("production", 200): 4 * EIGHT_WAY_ROUNDS}
    assert stock_disagreements(scratch_tenant) == []


def test_the_stock_check_reports_a_reservation_no_document_holds(scratch_tenant):
    """The check the races rely on does find a level that disagrees (here: reserved with no open reservation)."""

    def setup():
        item, store = ItemFactory(sku="MIX-X"), LocationFactory(code="STORE")
        stock_receive(item=item, location=store, quantity=5, user=None)
        from inventory.services import stock_reserve

        stock_reserve(item=item, location=store, quantity=2, user=None)

    in_tenant(scratch_tenant, setup)

    assert stock_disagreements(scratch_tenant) == ["MIX-X at STORE: reserved 2.0000, open reservations 0"]
