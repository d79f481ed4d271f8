"""Two returns of one shipment racing for its last returnable units, each in its own thread and transaction: one
wins (the order row lock serialises them; the second sees what the first returned). Committed data in a throwaway
tenant, as in test_concurrency."""

from decimal import Decimal

from core.errors import DomainError
from inventory.models import StockLevel
from inventory.services import stock_receive
from orders import services
from orders.models import CustomerReturn
from tests.orders.factories import CustomerFactory, ItemFactory, LocationFactory
from tests.orders.test_concurrency import RACERS, race, sales_order
from tests.support import in_tenant


def test_two_customer_returns_racing_for_the_last_returnable_units_return_exactly_once(scratch_tenant):
    def setup():
        customer, item, store = CustomerFactory(), ItemFactory(sku="RET-1"), LocationFactory(code="STORE")
        stock_receive(item=item, location=store, quantity=10, user=None)
        order = sales_order(customer, store, item, 10)
        services.sales_order_confirm(order=order, user=None)
        shipment = services.shipment_create(order=order, user=None, lines=[{"line": order.lines.get(), "quantity": 10}])
        return item, store, order, shipment, shipment.lines.get()

    item, store, order, shipment, line = in_tenant(scratch_tenant, setup)

    def give_back():
        return services.customer_return_create(shipment=shipment, user=None, lines=[{"line": line, "quantity": 6}])

    winners, losers = race(scratch_tenant, [give_back] * RACERS)
    assert len(winners) == 1
    assert len(losers) == 1 and isinstance(losers[0], DomainError), losers

    def state():
        level = StockLevel.objects.get(item=item, location=store)
        order_line = order.lines.get()
        return level.on_hand, order_line.shipped_quantity, CustomerReturn.objects.count()

    assert in_tenant(scratch_tenant, state) == (Decimal(6), Decimal(4), 1)
