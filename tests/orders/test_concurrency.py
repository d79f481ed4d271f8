"""Two shipments racing for the same units, each in its own thread, connection and transaction: one wins.

The threads need committed data. Stock moves cannot be deleted (the ledger is append-only, a trigger refuses
DELETE), so the data cannot be cleaned out of a shared tenant: each test provisions a throwaway tenant from a helper
thread (its own connection, autocommit), writes its data there, and drops the tenant's schema after. The test's
own connection stays in pytest-django's rolled-back transaction; `transactional_db` is not used, as its flush would
empty the public schema's tenant registry.
"""

import threading
from decimal import Decimal

from django.db import connection
from django.test import Client
from django.utils import timezone
from django_tenants.utils import tenant_context

from core.errors import DomainError
from inventory.models import StockLevel, StockMove
from inventory.selectors import ledger_balance
from inventory.services import InsufficientStock, stock_receive
from orders import services
from orders.models import SalesOrder, Shipment
from tests.conftest import host_of
from tests.orders.factories import CustomerFactory, ItemFactory, LocationFactory, UserFactory
from tests.support import in_tenant

RACERS = 2


def race(tenant, bodies) -> tuple[list, list[BaseException]]:
    """Run each body in its own thread, all released together; return (results, exceptions)."""
    start, results, failures, lock = threading.Barrier(len(bodies)), [], [], threading.Lock()

    def target(body) -> None:
        try:
            with tenant_context(tenant):
                start.wait()
                result = body()
            with lock:
                results.append(result)
        except BaseException as exc:
            with lock:
                failures.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=target, args=(body,)) for body in bodies]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results, failures


def sales_order(customer, store, item, quantity):
    return services.sales_order_create(
        customer=customer,
        location=store,
        user=None,
        lines=[{"item": item, "quantity": quantity, "unit_price": 1, "promised_date": timezone.localdate()}],
    )


def test_two_orders_racing_for_the_last_units_on_hand_ship_exactly_once(scratch_tenant):
    def setup():
        customer, item, store = CustomerFactory(), ItemFactory(sku="LAST-1"), LocationFactory(code="STORE")
        orders = [sales_order(customer, store, item, 5) for _ in range(RACERS)]
        for order in orders:
            services.sales_order_confirm(order=order, user=None)  # nothing on hand yet: nothing reserved
        stock_receive(item=item, location=store, quantity=5, user=None)  # the last five units
        return item, store, orders

    item, store, orders = in_tenant(scratch_tenant, setup)

    def ship(order):
        return lambda: services.shipment_create(
            order=order, user=None, lines=[{"line": order.lines.get(), "quantity": 5}]
        )

    winners, losers = race(scratch_tenant, [ship(order) for order in orders])
    assert len(winners) == 1
    assert len(losers) == 1 and isinstance(losers[0], InsufficientStock), losers

    def state():
        level = StockLevel.objects.get(item=item, location=store)
        moves = StockMove.objects.filter(item=item, reason=StockMove.Reason.SHIPMENT).count()
        statuses = sorted(SalesOrder.objects.values_list("status", flat=True))
        return level.on_hand, level.reserved, ledger_balance(item=item, location=store), moves, statuses

    assert in_tenant(scratch_tenant, state) == (Decimal(0), Decimal(0), Decimal(0), 1, ["confirmed", "shipped"])


def test_two_shipments_of_one_order_racing_for_its_last_open_units_ship_exactly_once(scratch_tenant):
    def setup():
        customer, item, store = CustomerFactory(), ItemFactory(sku="LAST-2"), LocationFactory(code="STORE")
        stock_receive(item=item, location=store, quantity=20, user=None)
        order = sales_order(customer, store, item, 5)
        services.sales_order_confirm(order=order, user=None)
        return item, store, order

    item, store, order = in_tenant(scratch_tenant, setup)

    def ship():
        return services.shipment_create(order=order, user=None, lines=[{"line": order.lines.get(), "quantity": 5}])

    winners, losers = race(scratch_tenant, [ship] * RACERS)
    assert len(winners) == 1
    assert len(losers) == 1 and isinstance(losers[0], DomainError), losers

    def state():
        line = order.lines.get()
        level = StockLevel.objects.get(item=item, location=store)
        return line.shipped_quantity, line.reserved_quantity, level.on_hand, level.reserved, Shipment.objects.count()

    assert in_tenant(scratch_tenant, state) == (Decimal(5), Decimal(0), Decimal(15), Decimal(0), 1)


def test_two_concurrent_requests_with_one_idempotency_key_create_one_order(scratch_tenant):
    def setup():
        from access.services import api_key_create, user_set_role

        # New users read only; entering orders is the planner's job.
        integrator = UserFactory(username="integrator", password="retry-retry-retry")
        user_set_role(user=integrator, role="planner", by=None)
        customer, item, store = CustomerFactory(), ItemFactory(sku="IDEM-1"), LocationFactory(code="STORE")
        # An API key, as integrators retry with: no password is hashed (at most one per tenant at once).
        key = api_key_create(name="retry", scope="read_write", user=integrator, created_by=None).key
        body = {
            "customer": customer.pk,
            "location": store.pk,
            "lines": [{"item": item.pk, "quantity": "2", "unit_price": "1", "promised_date": "2030-01-01"}],
        }
        return body, key

    body, key = in_tenant(scratch_tenant, setup)

    def create():
        client = Client(HTTP_HOST=host_of(scratch_tenant), HTTP_AUTHORIZATION=f"Api-Key {key}")
        response = client.post(
            "/api/v1/sales-orders/", body, content_type="application/json", headers={"Idempotency-Key": "same-key"}
        )
        return response.status_code, response.json()

    responses, failures = race(scratch_tenant, [create] * RACERS)
    assert failures == []
    assert [status for status, _ in responses] == [201] * RACERS
    assert responses[0][1] == responses[1][1]
    assert in_tenant(scratch_tenant, lambda: SalesOrder.objects.count()) == 1
