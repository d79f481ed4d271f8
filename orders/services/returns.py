"""Returns: a delivery's goods going back, each a document of its own linked to the delivery.

A customer return brings goods of a shipment back into a location; a return to supplier sends goods of a receipt
back out of the receipt's location. In one transaction the return posts its stock moves (with itself as their
source), lowers the order lines' shipped or received quantities and recomputes the order's status, so the order
and the ledger never disagree. A shipment's or receipt's own moves are never reversed bare (inventory refuses):
this is their undo. Lock order as for deliveries: the order row first, its lines, then the level rows in
primary-key order.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import Sum
from django.utils import timezone

from core.errors import DomainError
from core.limits import capped_lines
from core.retry import retry_on_conflict
from core.users import acting_user as actor
from inventory import services as inventory
from inventory.models import Location
from orders.models import (
    CustomerReturn,
    CustomerReturnLine,
    Receipt,
    Shipment,
    SupplierReturn,
    SupplierReturnLine,
)
from orders.services import engine
from orders.services.engine import Direction, Lines, OrderKind
from orders.services.errors import InvalidOrderLine, OrderError, on_line
from orders.services.parsing import User, line_quantity
from orders.services.purchase import PURCHASE
from orders.services.sales import SALES

ZERO = Decimal(0)


def _requested(lines: Lines, delivery_lines: Mapping[int, Any], delivery: object) -> list[tuple[Any, Decimal]]:
    """[(delivery line, quantity)] from [{line, quantity}]: each line of this delivery at most once."""
    requested: list[tuple[Any, Decimal]] = []
    seen: set[int] = set()
    for number, entry in enumerate(lines, start=1):
        line = entry.get("line")
        line_id: Any = getattr(line, "pk", line)
        where = f"line {number}"
        if line_id not in delivery_lines:
            raise InvalidOrderLine(f"{where}: not a line of {delivery}", field="lines")
        if line_id in seen:
            raise InvalidOrderLine(f"{where}: line #{line_id} of {delivery} is listed twice", field="lines")
        seen.add(line_id)
        requested.append((delivery_lines[line_id], line_quantity(entry.get("quantity"), where=where)))
    if not requested:
        raise InvalidOrderLine("list at least one line and its quantity", field="lines")
    return requested


def returned_quantities(*, delivery: Shipment | Receipt) -> dict[int, Decimal]:
    """{delivery line id: quantity returned so far} of a shipment or receipt (lines with no return left out)."""
    shipped = isinstance(delivery, Shipment)
    line_model, field = (CustomerReturnLine, "shipment_line") if shipped else (SupplierReturnLine, "receipt_line")
    rows = (
        line_model._default_manager.filter(**{f"{field}__{delivery._meta.model_name}": delivery})
        .values_list(field)
        .annotate(total=Sum("quantity"))
    )
    return dict(rows)


def recompute_status(kind: OrderKind, order: Any) -> None:
    """After a return: an open or delivered order is released, partially delivered or delivered again by what its
    lines still hold; a cancelled order stays cancelled (nothing more is expected from it)."""
    if order.status == order.Status.CANCELLED:
        return
    lines = list(order.lines.all())
    delivered = [getattr(line, kind.delivered_field) for line in lines]
    if all(line.open_quantity == 0 for line in lines):
        order.status = kind.complete
        order.closed_at = order.closed_at or timezone.now()
    else:
        order.status = kind.partial if any(amount > 0 for amount in delivered) else kind.released
        order.closed_at = None
    order.save(update_fields=["status", "closed_at"])


def _return_create(
    kind: OrderKind,
    *,
    delivery: Any,
    lines: Lines,
    user: User,
    location: Location,
    reference: str,
    document_model: type[Any],
    line_model: type[Any],
    delivery_line_field: str,  # "shipment_line"
    document_field: str,  # "customer_return"
) -> Any:
    lines = capped_lines(lines)
    with transaction.atomic():
        order = engine.lock_order(kind, delivery.order)
        order_lines = {line.pk: line for line in engine.locked_lines(order)}
        delivery_lines = {line.pk: line for line in delivery.lines.select_related("move").order_by("pk")}
        requested = _requested(lines, delivery_lines, delivery)
        returned = dict(
            line_model._default_manager.filter(**{f"{delivery_line_field}__in": list(delivery_lines)})
            .values_list(delivery_line_field)
            .annotate(total=Sum("quantity"))
        )
        for delivery_line, quantity in requested:
            left = delivery_line.quantity - returned.get(delivery_line.pk, ZERO)
            if quantity > left:
                order_line = order_lines[delivery_line.order_line_id]
                raise on_line(
                    OrderError(
                        f"item {order_line.item.sku}: {left.normalize():f} of {delivery} may still be returned, "
                        f"{quantity.normalize():f} asked",
                        field="lines",
                    ),
                    order_line,
                )
        engine.lock_levels((order_lines[line.order_line_id].item_id, location.pk) for line, _ in requested)
        fields: dict[str, Any] = {"reference": reference.strip(), "created_by": actor(user)}
        fields[delivery._meta.model_name] = delivery
        if kind.direction is Direction.OUT:
            fields["location"] = location
        document = document_model._default_manager.create(**fields)
        ref = f"{order.number} {delivery} {document}"
        for delivery_line, quantity in sorted(requested, key=lambda entry: (entry[0].move.item_id, entry[0].pk)):
            order_line = order_lines[delivery_line.order_line_id]
            try:
                if kind.direction is Direction.OUT:  # the customer's goods come back in
                    move = inventory.stock_receive(
                        item=order_line.item, location=location, quantity=quantity, user=user, reference=ref,
                        source=document,
                    )  # fmt: skip
                else:  # our goods go back out to the supplier: they must still be there
                    move = inventory.stock_issue(
                        item=order_line.item, location=location, quantity=quantity, user=user, reference=ref,
                        source=document,
                    )  # fmt: skip
            except DomainError as exc:
                on_line(exc, order_line)
                raise
            line_model._default_manager.create(
                **{document_field: document, delivery_line_field: delivery_line}, quantity=quantity, move=move
            )
            setattr(order_line, kind.delivered_field, getattr(order_line, kind.delivered_field) - quantity)
            order_line.save(update_fields=[kind.delivered_field])
        recompute_status(kind, order)
        engine.record(kind, order, "returned", user, f"{document} of {delivery}: {len(requested)} line(s)")
    return document


@retry_on_conflict
def customer_return_create(
    *, shipment: Shipment, lines: Lines, user: User, location: Location | None = None, reference: str = ""
) -> CustomerReturn:
    """The customer sends back goods of a shipment: [{line: shipment line, quantity}], each at most what that line
    shipped less what was already returned. The goods come back into `location` (default: the order's ship-from
    location), the sales lines' shipped quantities go down and the order is confirmed or partially shipped again
    (what came back is open to ship again, not reserved: reserve it with the order's reserve).
    """
    location = location or shipment.order.location
    if not location.is_active:
        raise OrderError(f"location {location.code} is inactive; return into another", field="location")
    return _return_create(
        SALES,
        delivery=shipment,
        lines=lines,
        user=user,
        location=location,
        reference=reference,
        document_model=CustomerReturn,
        line_model=CustomerReturnLine,
        delivery_line_field="shipment_line",
        document_field="customer_return",
    )


@retry_on_conflict
def supplier_return_create(*, receipt: Receipt, lines: Lines, user: User, reference: str = "") -> SupplierReturn:
    """Send goods of a receipt back to the supplier: [{line: receipt line, quantity}], each at most what that line
    received less what was already returned. The goods leave the receipt's location and must still be available
    there; the purchase lines' received quantities go down and the order is sent or partially received again.
    """
    return _return_create(
        PURCHASE,
        delivery=receipt,
        lines=lines,
        user=user,
        location=receipt.location,
        reference=reference,
        document_model=SupplierReturn,
        line_model=SupplierReturnLine,
        delivery_line_field="receipt_line",
        document_field="supplier_return",
    )
