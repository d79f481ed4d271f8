"""Every write to orders: partners, sales orders and shipments, purchase orders and receipts.

Stock changes go through inventory's services (reserve, unreserve, issue, receive) in the same transaction as the
order rows that explain them. A transition first locks its order row (SELECT ... FOR UPDATE), so two shipments or
receipts of one order run one after the other and the second sees what the first did; the stock level rows the
transition touches are then locked in primary-key order (inventory's rule), so transitions of different orders
never deadlock. Each transition has a guard that says why it is not allowed, and leaves an `OrderEvent`.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Mapping
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.db.models import Model
from django.utils import timezone

from audit.services import audit_record, changes_since, snapshot
from core.errors import DomainError
from core.limits import capped_lines
from core.numbers import plain_decimal_error
from core.users import acting_user as _actor
from core.validators import MAX_LEAD_TIME_DAYS, plan_date_error
from inventory import services as inventory
from inventory.models import Item, Location, StockLevel, StockMove
from inventory.selectors import default_receiving_location
from orders.models import (
    IdempotencyRecord,
    OrderEvent,
    Partner,
    PurchaseOrder,
    PurchaseOrderLine,
    Receipt,
    ReceiptLine,
    SalesOrder,
    SalesOrderLine,
    Shipment,
    ShipmentLine,
)

User = AbstractBaseUser | None
ZERO = Decimal(0)
MONEY_PLACES = 4


# --- Domain errors -------------------------------------------------------------------------------------------------
class OrderError(DomainError):
    pass


def _on_line(exc: DomainError, line: Model) -> DomainError:
    """Mark a domain error with the order line it is about, so a form can show it next to that line."""
    exc.line_id = line.pk
    return exc


class InvalidTransition(OrderError):
    pass


class InvalidOrderLine(OrderError):
    pass


class OverShipment(OrderError):
    pass


class OverReceipt(OrderError):
    pass


# --- Helpers -------------------------------------------------------------------------------------------------------
# Fields of an order whose old -> new values the audit log keeps; the locking helpers snapshot them.
_AUDITED = {
    SalesOrder: ("customer", "location", "customer_reference", "notes", "status"),
    PurchaseOrder: ("supplier", "supplier_reference", "notes", "status"),
}
_AUDIT_VERBS = {
    "created": "create",
    "changed": "update",
    "confirmed": "confirm",
    "reserved": "reserve",
    "cancelled": "cancel",
    "shipped": "ship",
    "sent": "send",
    "received": "receive",
}
_BEFORE = "_audit_before"


def _locked_for_audit(order: SalesOrder | PurchaseOrder) -> SalesOrder | PurchaseOrder:
    setattr(order, _BEFORE, snapshot(order, _AUDITED[type(order)]))
    return order


def _event(
    order: SalesOrder | PurchaseOrder, action: str, user: User, detail: str = "", *, lines: int | None = None
) -> None:
    """The order's own history event and the tenant's audit entry (changes since the order was locked)."""
    sales = isinstance(order, SalesOrder)
    link = {"sales_order": order} if sales else {"purchase_order": order}
    OrderEvent.objects.create(action=action, detail=detail[:500], user=_actor(user), **link)
    before = getattr(order, _BEFORE, None) or dict.fromkeys(_AUDITED[type(order)])
    changes = changes_since(order, before)
    if lines is not None:
        changes["lines"] = [None, lines]
    if detail:
        changes["detail"] = [None, detail[:500]]
    kind = "sales_order" if sales else "purchase_order"
    audit_record(user=user, action=f"orders.{kind}_{_AUDIT_VERBS[action]}", obj=order, changes=changes)


def _money(value: object, *, field: str) -> Decimal:
    if isinstance(value, float):
        raise TypeError(f"{field} must be a Decimal, int or str, not float ({value!r})")
    if isinstance(value, bool) or value is None or value == "":
        raise InvalidOrderLine(f"{field} is required", field=field)
    if isinstance(value, str) and (problem := plain_decimal_error(value.strip())):
        raise InvalidOrderLine(f"{field} {value!r} {problem}", field=field)
    try:
        amount = value if isinstance(value, Decimal) else Decimal(str(value).strip())
    except InvalidOperation:
        raise InvalidOrderLine(f"{field} {value!r} is not a number", field=field) from None
    if not amount.is_finite() or amount < 0:
        raise InvalidOrderLine(f"{field} must be zero or more, got {value}", field=field)
    if amount >= inventory.MAX_QUANTITY or amount != amount.quantize(Decimal(1).scaleb(-MONEY_PLACES)):
        raise InvalidOrderLine(
            f"{field} {amount} needs at most {MONEY_PLACES} decimal places and 14 digits", field=field
        )
    return amount


def _date(value: object, *, field: str) -> datetime.date:
    if isinstance(value, datetime.datetime):
        return _plan_date(value.date(), field=field)
    if isinstance(value, datetime.date):
        return _plan_date(value, field=field)
    try:
        day = datetime.date.fromisoformat(str(value))
    except ValueError:
        raise InvalidOrderLine(f"{field} {value!r} is not a date (YYYY-MM-DD)", field=field) from None
    return _plan_date(day, field=field)


def _plan_date(day: datetime.date, *, field: str) -> datetime.date:
    problem = plan_date_error(day)
    if problem:
        raise InvalidOrderLine(f"{field} {problem}", field=field)
    return day


def _check_item(item: object, *, where: str) -> Item:
    if not isinstance(item, Item) or item.pk is None:
        raise InvalidOrderLine(f"{where}: item is required", field="lines")
    if not item.is_active:
        raise InvalidOrderLine(f"{where}: item {item.sku} is inactive", field="lines")
    return item


def _line_quantity(value: object, *, where: str) -> Decimal:
    try:
        return inventory.parse_quantity(value)
    except DomainError as exc:
        raise InvalidOrderLine(f"{where}: {exc.message}", field="lines") from None


def _lock_levels(pairs: Iterable[tuple[int, int]]) -> None:
    """Lock the level rows of (item_id, location_id) pairs in primary-key order, before inventory re-locks them."""
    pairs = set(pairs)
    if not pairs:
        return
    item_ids = {item_id for item_id, _ in pairs}
    location_ids = {location_id for _, location_id in pairs}
    list(
        StockLevel.objects.select_for_update()
        .filter(item_id__in=item_ids, location_id__in=location_ids)
        .order_by("pk")
        .values_list("pk", flat=True)
    )


# --- Partners ------------------------------------------------------------------------------------------------------
_PARTNER_FIELDS = {
    "code",
    "name",
    "is_customer",
    "is_supplier",
    "contact_name",
    "email",
    "phone",
    "address",
    "default_lead_time_days",
    "is_active",
}


def partner_create(*, code: str, name: str, user: User, **fields: object) -> Partner:
    """A new customer and/or supplier; the code is unique within the tenant."""
    return partner_update(partner=Partner(), user=user, code=code, name=name, **fields)


def partner_update(*, partner: Partner, user: User, **fields: object) -> Partner:
    unknown = set(fields) - _PARTNER_FIELDS
    if unknown:
        raise TypeError(f"cannot set {', '.join(sorted(unknown))} on Partner")
    creating = partner.pk is None
    before = dict.fromkeys(fields) if creating else snapshot(partner, fields)
    for name, value in fields.items():
        setattr(partner, name, value.strip() if isinstance(value, str) and name in {"code", "name"} else value)
    if not partner.is_customer and not partner.is_supplier:
        raise OrderError("a partner is a customer, a supplier or both: tick at least one", field="is_customer")
    with transaction.atomic():
        partner.full_clean()
        partner.save()
        changes = changes_since(partner, before)
        if creating or changes:
            action = "orders.partner_create" if creating else "orders.partner_update"
            audit_record(user=user, action=action, obj=partner, changes=changes)
    return partner


# --- Sales orders --------------------------------------------------------------------------------------------------
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


def _sales_lines(lines: Iterable[Mapping[str, object]]) -> list[SalesOrderLine]:
    rows = []
    for number, line in enumerate(capped_lines(lines), start=1):
        where = f"line {number}"
        rows.append(
            SalesOrderLine(
                item=_check_item(line.get("item"), where=where),
                quantity=_line_quantity(line.get("quantity"), where=where),
                unit_price=_money(line.get("unit_price"), field=f"{where}: unit_price"),
                promised_date=_date(line.get("promised_date"), field=f"{where}: promised_date"),
            )
        )
    if not rows:
        raise InvalidOrderLine("an order needs at least one line", field="lines")
    return rows


def sales_order_create(
    *,
    customer: Partner,
    lines: Iterable[Mapping[str, object]],
    user: User,
    location: Location | None = None,
    customer_reference: str = "",
    notes: str = "",
) -> SalesOrder:
    """A draft sales order. Each line: item, quantity (> 0), unit_price (>= 0), promised_date.

    Stock is reserved at and shipped from `location`, by default the tenant's default receiving location.
    """
    _check_customer(customer)
    location = _check_ship_from(location)
    rows = _sales_lines(lines)
    with transaction.atomic():
        order = SalesOrder.objects.create(
            customer=customer,
            location=location,
            customer_reference=customer_reference.strip(),
            notes=notes,
            created_by=_actor(user),
        )
        for row in rows:
            row.order = order
        SalesOrderLine.objects.bulk_create(rows)
        _event(order, "created", user, f"{len(rows)} line(s)", lines=len(rows))
    return order


_SALES_HEADER = {"customer", "location", "customer_reference", "notes"}


def sales_order_update(
    *, order: SalesOrder, user: User, lines: Iterable[Mapping[str, object]] | None = None, **fields: object
) -> SalesOrder:
    """Change a draft: header fields (customer, location, customer_reference, notes) and, when `lines` is given,
    its lines replaced as a whole. A confirmed order is not edited: cancel it and enter a new one.
    """
    unknown = set(fields) - _SALES_HEADER
    if unknown:
        raise TypeError(f"cannot set {', '.join(sorted(unknown))} on a sales order")
    if "customer" in fields:
        _check_customer(fields["customer"])
    if "location" in fields:
        fields["location"] = _check_ship_from(fields["location"])
    rows = _sales_lines(lines) if lines is not None else None
    with transaction.atomic():
        order = _locked_sales_order(order)
        if order.status != SalesOrder.Status.DRAFT:
            raise InvalidTransition(
                f"sales order {order.number} is {order.get_status_display().lower()}; only a draft can be changed"
            )
        for name, value in fields.items():
            setattr(order, name, value.strip() if name == "customer_reference" else value)
        order.save()
        if rows is not None:
            order.lines.all().delete()
            for row in rows:
                row.order = order
            SalesOrderLine.objects.bulk_create(rows)
        _event(
            order,
            "changed",
            user,
            ", ".join(sorted([*fields, *(["lines"] if rows is not None else [])])),
            lines=len(rows) if rows is not None else None,
        )
    return order


def _locked_sales_order(order: SalesOrder) -> SalesOrder:
    locked = SalesOrder.objects.select_for_update().select_related("location").filter(pk=order.pk).first()
    if locked is None:
        raise OrderError(f"sales order {order.number} does not exist")
    return _locked_for_audit(locked)


def sales_order_confirm(*, order: SalesOrder, user: User) -> SalesOrder:
    """Draft -> confirmed: reserve what is available of each line at the order's location.

    What cannot be reserved now stays open as demand for material requirements.
    """
    with transaction.atomic():
        order = _locked_sales_order(order)
        if order.status != SalesOrder.Status.DRAFT:
            raise InvalidTransition(
                f"sales order {order.number} is {order.get_status_display().lower()}; only a draft can be confirmed"
            )
        reserved = _reserve_open_lines(order, user)
        order.status = SalesOrder.Status.CONFIRMED
        order.confirmed_at = timezone.now()
        order.save(update_fields=["status", "confirmed_at"])
        _event(order, "confirmed", user, f"reserved {reserved.normalize():f}")
    return order


def sales_order_reserve(*, order: SalesOrder, user: User) -> SalesOrder:
    """Reserve for a confirmed or partially shipped order what has become available since it was confirmed
    (e.g. after a receipt or a production run); what is still missing stays demand.
    """
    with transaction.atomic():
        order = _locked_sales_order(order)
        if order.status not in SalesOrder.OPEN_STATUSES:
            raise InvalidTransition(
                f"sales order {order.number} is {order.get_status_display().lower()}; "
                "only a confirmed or partially shipped order can reserve stock"
            )
        reserved = _reserve_open_lines(order, user)
        _event(order, "reserved", user, f"reserved {reserved.normalize():f}")
    return order


def _reserve_open_lines(order: SalesOrder, user: User) -> Decimal:
    """Reserve, line by line, what is available at the order's location of each line's unreserved open quantity."""
    lines = list(order.lines.select_related("item").select_for_update(of=("self",)).order_by("pk"))
    _lock_levels((line.item_id, order.location_id) for line in lines)
    reserved_total = ZERO
    for line in lines:
        wanted = line.open_quantity - line.reserved_quantity
        if wanted <= 0 or not line.item.is_active:
            continue
        level = StockLevel.objects.filter(item_id=line.item_id, location_id=order.location_id).first()
        take = min(level.available if level is not None else ZERO, wanted)
        if take > 0:
            inventory.stock_reserve(
                item=line.item, location=order.location, quantity=take, user=user, reference=order.number
            )
            line.reserved_quantity += take
            line.save(update_fields=["reserved_quantity"])
            reserved_total += take
    return reserved_total


def sales_order_cancel(*, order: SalesOrder, user: User, reason: str = "") -> SalesOrder:
    """Cancel a draft, confirmed or partially shipped order; its reservations are released, shipments stay."""
    with transaction.atomic():
        order = _locked_sales_order(order)
        if order.status in (SalesOrder.Status.SHIPPED, SalesOrder.Status.CANCELLED):
            raise InvalidTransition(
                f"sales order {order.number} is {order.get_status_display().lower()}; it cannot be cancelled"
            )
        lines = list(order.lines.select_related("item").select_for_update(of=("self",)).order_by("pk"))
        _lock_levels((line.item_id, order.location_id) for line in lines if line.reserved_quantity > 0)
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
        order.status = SalesOrder.Status.CANCELLED
        order.closed_at = timezone.now()
        order.save(update_fields=["status", "closed_at"])
        _event(order, "cancelled", user, reason)
    return order


def _requested(
    lines: Iterable[Mapping[str, object]], valid: Mapping[int, Model], order_number: str
) -> list[tuple[Model, Decimal]]:
    """[(order line, quantity)] from [{line, quantity}]: each line of this order at most once."""
    requested: list[tuple[Model, Decimal]] = []
    seen: set[int] = set()
    for number, entry in enumerate(lines, start=1):
        line = entry.get("line")
        line_id = getattr(line, "pk", line)
        where = f"line {number}"
        if line_id not in valid:
            raise InvalidOrderLine(f"{where}: not a line of order {order_number}", field="lines")
        if line_id in seen:
            raise InvalidOrderLine(f"{where}: order line #{line_id} is listed twice", field="lines")
        seen.add(line_id)
        requested.append((valid[line_id], _line_quantity(entry.get("quantity"), where=where)))
    if not requested:
        raise InvalidOrderLine("list at least one line and its quantity", field="lines")
    return requested


def shipment_create(
    *, order: SalesOrder, lines: Iterable[Mapping[str, object]], user: User, reference: str = ""
) -> Shipment:
    """Ship some or all open quantities of a confirmed order: one shipment move per line, all or nothing.

    A line ships its own reservation first, then available stock at the order's location. Shipping more than is
    open on a line, or more than is there, is refused and nothing is written.
    """
    lines = capped_lines(lines)
    with transaction.atomic():
        order = _locked_sales_order(order)
        if order.status not in SalesOrder.OPEN_STATUSES:
            raise InvalidTransition(
                f"sales order {order.number} is {order.get_status_display().lower()}; "
                "only a confirmed or partially shipped order can ship"
            )
        order_lines = {
            line.pk: line for line in order.lines.select_related("item").select_for_update(of=("self",)).order_by("pk")
        }
        requested = _requested(lines, order_lines, order.number)
        for line, quantity in requested:
            if quantity > line.open_quantity:
                raise _on_line(
                    OverShipment(
                        f"item {line.item.sku}: {line.open_quantity.normalize():f} still to ship on {order.number}, "
                        f"{quantity.normalize():f} asked",
                        field="lines",
                    ),
                    line,
                )
        _lock_levels((line.item_id, order.location_id) for line, _ in requested)
        shipment = Shipment.objects.create(order=order, reference=reference.strip(), created_by=_actor(user))
        ref = f"{order.number} {shipment}"
        for line, quantity in requested:
            from_reservation = min(quantity, line.reserved_quantity)
            try:
                if from_reservation > 0:
                    inventory.stock_unreserve(
                        item=line.item, location=order.location, quantity=from_reservation, user=user, reference=ref
                    )
                move = inventory.stock_issue(
                    item=line.item,
                    location=order.location,
                    quantity=quantity,
                    user=user,
                    reason=StockMove.Reason.SHIPMENT,
                    reference=ref,
                    source=shipment,
                )
            except DomainError as exc:  # e.g. not enough on hand: the whole shipment rolls back
                _on_line(exc, line)
                raise
            ShipmentLine.objects.create(shipment=shipment, order_line=line, quantity=quantity, move=move)
            line.shipped_quantity += quantity
            line.reserved_quantity -= from_reservation
            line.save(update_fields=["shipped_quantity", "reserved_quantity"])
        if all(line.open_quantity == 0 for line in order_lines.values()):
            order.status = SalesOrder.Status.SHIPPED
            order.closed_at = timezone.now()
        else:
            order.status = SalesOrder.Status.PARTIALLY_SHIPPED
        order.save(update_fields=["status", "closed_at"])
        _event(order, "shipped", user, f"{shipment}: {len(requested)} line(s)")
    return shipment


# --- Purchase orders -----------------------------------------------------------------------------------------------
def _check_supplier(supplier: Partner) -> Partner:
    if not supplier.is_supplier or not supplier.is_active:
        raise OrderError(f"{supplier.code} is not an active supplier", field="supplier")
    return supplier


def _purchase_lines(supplier: Partner, lines: Iterable[Mapping[str, object]]) -> list[PurchaseOrderLine]:
    lead = min(supplier.default_lead_time_days, MAX_LEAD_TIME_DAYS)  # a supplier saved before the bound existed
    default_date = timezone.localdate() + datetime.timedelta(days=lead)
    rows = []
    for number, line in enumerate(capped_lines(lines), start=1):
        where = f"line {number}"
        expected = line.get("expected_date")
        rows.append(
            PurchaseOrderLine(
                item=_check_item(line.get("item"), where=where),
                quantity=_line_quantity(line.get("quantity"), where=where),
                unit_cost=_money(line.get("unit_cost"), field=f"{where}: unit_cost"),
                expected_date=_date(expected, field=f"{where}: expected_date") if expected else default_date,
            )
        )
    if not rows:
        raise InvalidOrderLine("an order needs at least one line", field="lines")
    return rows


def purchase_order_create(
    *,
    supplier: Partner,
    lines: Iterable[Mapping[str, object]],
    user: User,
    supplier_reference: str = "",
    notes: str = "",
) -> PurchaseOrder:
    """A draft purchase order. Each line: item, quantity (> 0), unit_cost (>= 0), expected_date (default: today
    plus the supplier's lead time).
    """
    rows = _purchase_lines(_check_supplier(supplier), lines)
    with transaction.atomic():
        order = PurchaseOrder.objects.create(
            supplier=supplier, supplier_reference=supplier_reference.strip(), notes=notes, created_by=_actor(user)
        )
        for row in rows:
            row.order = order
        PurchaseOrderLine.objects.bulk_create(rows)
        _event(order, "created", user, f"{len(rows)} line(s)", lines=len(rows))
    return order


_PURCHASE_HEADER = {"supplier", "supplier_reference", "notes"}


def purchase_order_update(
    *, order: PurchaseOrder, user: User, lines: Iterable[Mapping[str, object]] | None = None, **fields: object
) -> PurchaseOrder:
    """Change a draft: header fields (supplier, supplier_reference, notes) and, when `lines` is given, its lines
    replaced as a whole. A sent order is not edited: cancel it and send a new one.
    """
    unknown = set(fields) - _PURCHASE_HEADER
    if unknown:
        raise TypeError(f"cannot set {', '.join(sorted(unknown))} on a purchase order")
    supplier = _check_supplier(fields["supplier"]) if "supplier" in fields else None
    with transaction.atomic():
        order = _locked_purchase_order(order)
        if order.status != PurchaseOrder.Status.DRAFT:
            raise InvalidTransition(
                f"purchase order {order.number} is {order.get_status_display().lower()}; only a draft can be changed"
            )
        rows = _purchase_lines(supplier or order.supplier, lines) if lines is not None else None
        for name, value in fields.items():
            setattr(order, name, value.strip() if name == "supplier_reference" else value)
        order.save()
        if rows is not None:
            order.lines.all().delete()
            for row in rows:
                row.order = order
            PurchaseOrderLine.objects.bulk_create(rows)
        _event(
            order,
            "changed",
            user,
            ", ".join(sorted([*fields, *(["lines"] if rows is not None else [])])),
            lines=len(rows) if rows is not None else None,
        )
    return order


def _locked_purchase_order(order: PurchaseOrder) -> PurchaseOrder:
    locked = PurchaseOrder.objects.select_for_update().filter(pk=order.pk).first()
    if locked is None:
        raise OrderError(f"purchase order {order.number} does not exist")
    return _locked_for_audit(locked)


def purchase_order_send(*, order: PurchaseOrder, user: User) -> PurchaseOrder:
    """Draft -> sent: the order is with the supplier; its open quantities now count as supply on order."""
    with transaction.atomic():
        order = _locked_purchase_order(order)
        if order.status != PurchaseOrder.Status.DRAFT:
            raise InvalidTransition(
                f"purchase order {order.number} is {order.get_status_display().lower()}; only a draft can be sent"
            )
        order.status = PurchaseOrder.Status.SENT
        order.sent_at = timezone.now()
        order.save(update_fields=["status", "sent_at"])
        _event(order, "sent", user)
    return order


def purchase_order_cancel(*, order: PurchaseOrder, user: User, reason: str = "") -> PurchaseOrder:
    """Cancel a draft, sent or partially received order: nothing more is expected; receipts stay."""
    with transaction.atomic():
        order = _locked_purchase_order(order)
        if order.status in (PurchaseOrder.Status.RECEIVED, PurchaseOrder.Status.CANCELLED):
            raise InvalidTransition(
                f"purchase order {order.number} is {order.get_status_display().lower()}; it cannot be cancelled"
            )
        order.status = PurchaseOrder.Status.CANCELLED
        order.closed_at = timezone.now()
        order.save(update_fields=["status", "closed_at"])
        _event(order, "cancelled", user, reason)
    return order


def over_receipt_tolerance() -> Decimal:
    """ORDERS_OVER_RECEIPT_TOLERANCE_PERCENT as a Decimal percentage (0 when unset)."""
    value = getattr(settings, "ORDERS_OVER_RECEIPT_TOLERANCE_PERCENT", 0) or 0
    tolerance = Decimal(str(value))
    if not tolerance.is_finite() or tolerance < 0:
        raise ValueError(f"ORDERS_OVER_RECEIPT_TOLERANCE_PERCENT must be zero or more, not {value!r}")
    return tolerance


def receipt_create(
    *,
    order: PurchaseOrder,
    lines: Iterable[Mapping[str, object]],
    user: User,
    location: Location | None = None,
    reference: str = "",
) -> Receipt:
    """Receive some or all open quantities of a sent order into `location` (default: the receiving location).

    One receipt move per line, all or nothing. A line may receive more than ordered only within
    ORDERS_OVER_RECEIPT_TOLERANCE_PERCENT; the order is received when every line has its ordered quantity.
    """
    lines = capped_lines(lines)
    location = location or default_receiving_location()
    if location is None:
        raise OrderError(
            "choose the location to receive into (there is no default receiving location)", field="location"
        )
    if not location.is_active:
        raise OrderError(f"location {location.code} is inactive; receive into another", field="location")
    tolerance = over_receipt_tolerance()
    with transaction.atomic():
        order = _locked_purchase_order(order)
        if order.status not in PurchaseOrder.OPEN_STATUSES:
            raise InvalidTransition(
                f"purchase order {order.number} is {order.get_status_display().lower()}; "
                "only a sent or partially received order can be received"
            )
        order_lines = {
            line.pk: line for line in order.lines.select_related("item").select_for_update(of=("self",)).order_by("pk")
        }
        requested = _requested(lines, order_lines, order.number)
        for line, quantity in requested:
            allowed = line.quantity * (1 + tolerance / 100) - line.received_quantity
            if quantity > allowed:
                allowance = f" (with the {tolerance.normalize():f}% over-receipt tolerance)" if tolerance else ""
                raise _on_line(
                    OverReceipt(
                        f"item {line.item.sku}: {max(allowed, ZERO).normalize():f} may still be received on "
                        f"{order.number}{allowance}, {quantity.normalize():f} delivered",
                        field="lines",
                    ),
                    line,
                )
        # Existing level rows are locked in primary-key order, missing ones created in item order (by the
        # receive service), so two receipts of the same items never wait on each other in a cycle.
        _lock_levels((line.item_id, location.pk) for line, _ in requested)
        receipt = Receipt.objects.create(
            order=order, location=location, reference=reference.strip(), created_by=_actor(user)
        )
        ref = f"{order.number} {receipt}"
        for line, quantity in sorted(requested, key=lambda entry: (entry[0].item_id, entry[0].pk)):
            move = inventory.stock_receive(
                item=line.item, location=location, quantity=quantity, user=user, reference=ref, source=receipt
            )
            ReceiptLine.objects.create(receipt=receipt, order_line=line, quantity=quantity, move=move)
            line.received_quantity += quantity
            line.save(update_fields=["received_quantity"])
        if all(line.received_quantity >= line.quantity for line in order_lines.values()):
            order.status = PurchaseOrder.Status.RECEIVED
            order.closed_at = timezone.now()
        else:
            order.status = PurchaseOrder.Status.PARTIALLY_RECEIVED
        order.save(update_fields=["status", "closed_at"])
        _event(order, "received", user, f"{receipt}: {len(requested)} line(s) into {location.code}")
    return receipt


# --- Idempotency keys ----------------------------------------------------------------------------------------------
def idempotency_records_purge(*, older_than: datetime.timedelta) -> int:
    """Forget Idempotency-Keys older than `older_than` (a retry after that creates anew); returns how many."""
    if older_than < datetime.timedelta(hours=1):
        raise OrderError("keep idempotency keys for at least an hour, or a client's retry could create twice")
    deleted, _ = IdempotencyRecord.objects.filter(created_at__lt=timezone.now() - older_than).delete()
    return deleted
