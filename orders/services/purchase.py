"""Purchase orders and receipts: the purchase kind of the order engine and its services.

A sent order's open quantities count as supply on order; receipts bring them into a location, a little over what
was ordered when ORDERS_OVER_RECEIPT_TOLERANCE_PERCENT allows it.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from decimal import Decimal

from django.conf import settings
from django.utils import timezone

from core.validators import MAX_LEAD_TIME_DAYS
from inventory.models import Location
from inventory.selectors import default_receiving_location
from orders.models import Partner, PurchaseOrder, PurchaseOrderLine, Receipt
from orders.services import engine
from orders.services.engine import Direction, Lines, OrderKind
from orders.services.errors import OrderError, OverReceipt
from orders.services.parsing import User

ZERO = Decimal(0)


def _check_supplier(supplier: Partner) -> Partner:
    if not supplier.is_supplier or not supplier.is_active:
        raise OrderError(f"{supplier.code} is not an active supplier", field="supplier")
    return supplier


def _lead_time_date(supplier: Partner) -> datetime.date:
    """A line without an expected date is due after the supplier's lead time."""
    lead = min(supplier.default_lead_time_days, MAX_LEAD_TIME_DAYS)  # a supplier saved before the bound existed
    return timezone.localdate() + datetime.timedelta(days=lead)


def over_receipt_tolerance() -> Decimal:
    """ORDERS_OVER_RECEIPT_TOLERANCE_PERCENT as a Decimal percentage (0 when unset)."""
    value = getattr(settings, "ORDERS_OVER_RECEIPT_TOLERANCE_PERCENT", 0) or 0
    tolerance = Decimal(str(value))
    if not tolerance.is_finite() or tolerance < 0:
        raise ValueError(f"ORDERS_OVER_RECEIPT_TOLERANCE_PERCENT must be zero or more, not {value!r}")
    return tolerance


def _over_receipt(
    line: PurchaseOrderLine, allowed: Decimal, asked: Decimal, number: str, tolerance: Decimal
) -> OverReceipt:
    allowance = f" (with the {tolerance.normalize():f}% over-receipt tolerance)" if tolerance else ""
    return OverReceipt(
        f"item {line.item.sku}: {max(allowed, ZERO).normalize():f} may still be received on "
        f"{number}{allowance}, {asked.normalize():f} delivered",
        field="lines",
    )


PURCHASE = OrderKind(
    model=PurchaseOrder,
    delivery_model=Receipt,
    check_partner=_check_supplier,
    partner_field="supplier",
    default_date=_lead_time_date,
    price_field="unit_cost",
    date_field="expected_date",
    tolerance=over_receipt_tolerance,
    direction=Direction.IN,
    open_actions={"deliver": "be received"},
    over_delivery=_over_receipt,
)


def purchase_order_create(
    *,
    supplier: Partner,
    lines: Lines,
    user: User,
    supplier_reference: str = "",
    notes: str = "",
    custom_fields: Mapping[str, object] | None = None,
) -> PurchaseOrder:
    """A draft purchase order. Each line: item, quantity (> 0), unit_cost (>= 0), expected_date (default: today
    plus the supplier's lead time).
    """
    return engine.order_create(
        PURCHASE,
        partner=supplier,
        lines=lines,
        user=user,
        supplier_reference=supplier_reference,
        notes=notes,
        custom_fields=custom_fields,
    )


def purchase_order_update(
    *, order: PurchaseOrder, user: User, lines: Lines | None = None, **fields: object
) -> PurchaseOrder:
    """Change a draft: header fields (supplier, supplier_reference, notes) and, when `lines` is given, its lines
    replaced as a whole. A sent order is not edited: cancel it and send a new one.
    """
    return engine.order_update(PURCHASE, order=order, user=user, lines=lines, **fields)


def purchase_order_send(*, order: PurchaseOrder, user: User) -> PurchaseOrder:
    """Draft -> sent: the order is with the supplier; its open quantities now count as supply on order."""
    return engine.order_release(PURCHASE, order=order, user=user)


def purchase_order_cancel(*, order: PurchaseOrder, user: User, reason: str = "") -> PurchaseOrder:
    """Cancel a draft, sent or partially received order: nothing more is expected; receipts stay."""
    return engine.order_cancel(PURCHASE, order=order, user=user, reason=reason)


def receipt_create(
    *, order: PurchaseOrder, lines: Lines, user: User, location: Location | None = None, reference: str = ""
) -> Receipt:
    """Receive some or all open quantities of a sent order into `location` (default: the receiving location).

    One receipt move per line, all or nothing. A line may receive more than ordered only within
    ORDERS_OVER_RECEIPT_TOLERANCE_PERCENT; the order is received when every line has its ordered quantity.
    """
    location = location or default_receiving_location()
    if location is None:
        raise OrderError(
            "choose the location to receive into (there is no default receiving location)", field="location"
        )
    if not location.is_active:
        raise OrderError(f"location {location.code} is inactive; receive into another", field="location")
    return engine.delivery_create(PURCHASE, order=order, lines=lines, user=user, location=location, reference=reference)


# The state changes an order page or the admin offers, by name (access.ORDER_ACTIONS gives each its capability).
ACTIONS = {"send": purchase_order_send, "cancel": purchase_order_cancel}
