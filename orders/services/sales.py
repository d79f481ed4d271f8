"""Sales orders and shipments: the sales kind of the order engine and its services.

A confirmed order reserves what is available at its ship-from location; shipping issues its own reservation first,
then free stock. What cannot be reserved stays open as demand for material requirements.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import ROUND_DOWN, Decimal

from django.db import transaction

from core.retry import retry_on_conflict
from inventory import services as inventory
from inventory.models import Location, StockLevel
from inventory.selectors import default_receiving_location
from orders.models import Partner, SalesOrder, SalesOrderLine, Shipment
from orders.services import engine
from orders.services.engine import Direction, Lines, OrderKind
from orders.services.errors import OrderError, OverShipment
from orders.services.parsing import User

ZERO = Decimal(0)


def _check_customer(customer: Partner) -> Partner:
    if not customer.is_customer or not customer.is_active:
        raise OrderError(f"{customer.code} is not an active customer", field="customer")
    return customer


def _check_ship_from(location: Location | None) -> Location:
    location = location or default_receiving_location()
    if location is None:
        raise OrderError("choose the location to ship from (there is no default location)", field="location")
    if not location.is_active:
        raise OrderError(f"location {location.code} is inactive; choose another", field="location")
    return location


def _clean_header(fields: dict[str, object]) -> None:
    if "location" in fields:
        fields["location"] = _check_ship_from(fields["location"])  # type: ignore[arg-type]


def _reserve_open_lines(order: SalesOrder, user: User) -> Decimal:
    """Reserve, line by line, what is available at the order's location of each line's unreserved open quantity."""
    lines = engine.locked_lines(order)
    engine.lock_levels((line.item_id, order.location_id) for line in lines)
    reserved_total = ZERO
    for line in lines:
        wanted = line.open_quantity - line.reserved_quantity
        if wanted <= 0 or not line.item.is_active:
            continue
        level = StockLevel.objects.filter(item_id=line.item_id, location_id=order.location_id).first()
        take = min(level.available if level is not None else ZERO, wanted)
        # What is reserved is countable in the stock unit (stock counted more finely before units had a precision).
        take = take.quantize(Decimal(1).scaleb(-line.item.uom.decimals), rounding=ROUND_DOWN)
        if take > 0:
            inventory.stock_reserve(
                item=line.item, location=order.location, quantity=take, user=user, reference=order.number
            )
            line.reserved_quantity += take
            line.save(update_fields=["reserved_quantity"])
            reserved_total += take
    return reserved_total


def _reserve_on_confirm(order: SalesOrder, user: User) -> str:
    return f"reserved {_reserve_open_lines(order, user).normalize():f}"


def _release_reservations(order: SalesOrder, user: User) -> None:
    """A cancelled order gives back what it reserved."""
    lines = engine.locked_lines(order)
    engine.lock_levels((line.item_id, order.location_id) for line in lines if line.reserved_quantity > 0)
    for line in lines:
        if line.reserved_quantity > 0:
            inventory.stock_unreserve(
                item=line.item,
                location=order.location,
                quantity=line.reserved_quantity,
                user=user,
                reference=f"{order.number} cancelled",
            )
            line.reserved_quantity = ZERO
            line.save(update_fields=["reserved_quantity"])


def _over_shipment(
    line: SalesOrderLine, allowed: Decimal, asked: Decimal, number: str, tolerance: Decimal
) -> OverShipment:
    return OverShipment(
        f"item {line.item.sku}: {line.open_quantity.normalize():f} still to ship on {number}, "
        f"{asked.normalize():f} asked",
        field="lines",
    )


SALES = OrderKind(
    model=SalesOrder,
    delivery_model=Shipment,
    partner_field="customer",
    header_extra=("location",),
    clean_header=_clean_header,
    lock_related=("location",),
    check_partner=_check_customer,
    price_field="unit_price",
    date_field="promised_date",
    on_release=_reserve_on_confirm,
    on_cancel=_release_reservations,
    direction=Direction.OUT,
    open_actions={"deliver": "ship", "reserve": "reserve stock"},
    over_delivery=_over_shipment,
)


def sales_order_create(
    *,
    customer: Partner,
    lines: Lines,
    user: User,
    location: Location | None = None,
    customer_reference: str = "",
    notes: str = "",
    custom_fields: Mapping[str, object] | None = None,
) -> SalesOrder:
    """A draft sales order. Each line: item, quantity (> 0), unit_price (>= 0), promised_date.

    Stock is reserved at and shipped from `location`, by default the tenant's default receiving location.
    """
    return engine.order_create(
        SALES,
        partner=customer,
        lines=lines,
        user=user,
        location=location,
        customer_reference=customer_reference,
        notes=notes,
        custom_fields=custom_fields,
    )


def sales_order_update(*, order: SalesOrder, user: User, lines: Lines | None = None, **fields: object) -> SalesOrder:
    """Change a draft: header fields (customer, location, customer_reference, notes) and, when `lines` is given,
    its lines replaced as a whole. A confirmed order is not edited: cancel it and enter a new one.
    """
    return engine.order_update(SALES, order=order, user=user, lines=lines, **fields)


def sales_order_confirm(*, order: SalesOrder, user: User) -> SalesOrder:
    """Draft -> confirmed: reserve what is available of each line at the order's location.

    What cannot be reserved now stays open as demand for material requirements.
    """
    return engine.order_release(SALES, order=order, user=user)


@retry_on_conflict
def sales_order_reserve(*, order: SalesOrder, user: User) -> SalesOrder:
    """Reserve for a confirmed or partially shipped order what has become available since it was confirmed
    (e.g. after a receipt or a production run); what is still missing stays demand.
    """
    with transaction.atomic():
        order = engine.lock_order(SALES, order)
        engine.guard(SALES, order, "reserve")
        reserved = _reserve_open_lines(order, user)
        engine.record(SALES, order, "reserved", user, f"reserved {reserved.normalize():f}")
    return order


def sales_order_cancel(*, order: SalesOrder, user: User, reason: str = "") -> SalesOrder:
    """Cancel a draft, confirmed or partially shipped order; its reservations are released, shipments stay."""
    return engine.order_cancel(SALES, order=order, user=user, reason=reason)


def shipment_create(*, order: SalesOrder, lines: Lines, user: User, reference: str = "") -> Shipment:
    """Ship some or all open quantities of a confirmed order: one shipment move per line, all or nothing.

    A line ships its own reservation first, then available stock at the order's location. Shipping more than is
    open on a line, or more than is there, is refused and nothing is written.
    """
    return engine.delivery_create(SALES, order=order, lines=lines, user=user, reference=reference)


# The state changes an order page or the admin offers, by name (access.ORDER_ACTIONS gives each its capability).
ACTIONS = {"confirm": sales_order_confirm, "reserve": sales_order_reserve, "cancel": sales_order_cancel}
