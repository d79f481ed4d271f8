"""The order engine: one set of transitions for every kind of order, driven by a small description per kind.

An order is a draft until it is released (a sales order confirmed, a purchase order sent); it is then open until
deliveries (shipments, receipts) have moved all of it, or it is cancelled. Each transition is one service here,
takes the order's row lock first (SELECT ... FOR UPDATE), so two deliveries of one order run one after the other and
the second sees what the first did, and asks `transition_refusal` whether it may run: the answer says why not. The
order's lines and the stock level rows a transition touches are then locked in primary-key order, and no master
data row (item, location) is ever locked: the lock order of `inventory.services.locking`, so transitions of
different orders and plain stock moves never deadlock. Each transition that moves or reserves stock retries itself
when PostgreSQL still aborts it for a deadlock (`core.retry`). Every transition leaves one audit entry (the order's
history reads them back).

What differs between kinds (partner, line fields, stock direction, hooks for reservations) is an `OrderKind`;
`orders.services.sales` and `orders.services.purchase` describe theirs and name the public services.
"""

from __future__ import annotations

import datetime
import enum
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone

from audit.services import audit_record, changes_since, snapshot
from core.errors import DomainError
from core.limits import capped_lines
from core.retry import retry_on_conflict
from core.users import acting_user as actor
from customfields.services import merged_custom_values, validate_custom_values
from inventory import services as inventory
from inventory.models import Item, Location, StockMove, UnitOfMeasure
from orders.models import Delivery, Order, Partner
from orders.selectors import HISTORY_WORDS
from orders.services.errors import InvalidOrderLine, InvalidTransition, OrderError, on_line
from orders.services.parsing import User, line_item, line_quantity, line_unit, money, plan_date

ZERO = Decimal(0)

# Order or delivery lines as given: [{item, quantity, ...}] or [{line, quantity}].
Lines = Iterable[Mapping[str, object]]
# An order row of any kind (SalesOrder, PurchaseOrder): the kind's description says which fields it has.
AnyOrder = Any


class Direction(enum.Enum):
    """Which way a delivery moves stock."""

    OUT = "out"  # shipments: what the order reserved is unreserved, then issued from the order's location
    IN = "in"  # receipts: received into the location the delivery names


@dataclass(frozen=True)
class Transition:
    """A status change of an order: the statuses it may start from, and how a refusal ends."""

    allowed_from: frozenset[str]
    refusal: str  # e.g. "only a draft can be confirmed"


# The audit action of each event is `orders.<kind>_<verb>`: the names are part of the audit log's contract, and the
# order's history (orders.selectors.order_history) reads the event back from the verb.
AUDIT_VERBS = {event: verb for verb, event in HISTORY_WORDS.items()}


@dataclass(frozen=True)
class OrderKind:
    """What makes one kind of order different; the rest follows from its models and the engine does the work.

    The order model's `Status` lists draft, released (confirmed, sent), partially delivered, delivered and cancelled,
    in that order; its lines are `lines`, the delivery's lines `lines`; the partner's own number is
    `<partner>_reference`, the release time `<released>_at` and what deliveries add to `<delivered>_quantity`.
    """

    model: type[Order]
    delivery_model: type[Delivery]
    partner_field: str  # "customer"
    check_partner: Callable[[Partner], Partner]  # refuses a partner that is not an active customer/supplier
    price_field: str  # "unit_price"
    date_field: str  # "promised_date"
    direction: Direction
    # Transitions allowed while the order is open, and how each ends the refusal "only a sent or ... order can ...".
    open_actions: Mapping[str, str]
    over_delivery: Callable[[Any, Decimal, Decimal, str, Decimal], DomainError]  # (line, allowed, asked, number, %)
    header_extra: tuple[str, ...] = ()  # header fields besides partner, reference and notes
    lock_related: tuple[str, ...] = ()  # rows read with the order (never locked: inventory.services.locking)
    default_date: Callable[[Partner], datetime.date] | None = None  # a line without a date is due then
    clean_header: Callable[[dict[str, object]], None] = lambda fields: None  # checks and defaults header fields
    on_release: Callable[[AnyOrder, User], str] | None = None  # the release's side effect; returns the detail
    on_cancel: Callable[[AnyOrder, User], None] | None = None
    tolerance: Callable[[], Decimal] = field(default=lambda: ZERO)  # % a line may receive over what was ordered

    def __post_init__(self) -> None:
        model: Any = self.model  # a concrete order model: Status, OPEN_STATUSES, lines
        delivery: Any = self.delivery_model
        statuses = [status.value for status in model.Status]
        draft, released, partial, complete, cancelled = statuses
        assert (draft, cancelled) == ("draft", "cancelled"), statuses
        assert tuple(model.OPEN_STATUSES) == (released, partial), statuses
        open_from = frozenset({released, partial})
        label = self.label
        open_words = f"only a {released} or {model.Status(partial).label.lower()} order can"
        derived = {
            "released": released,
            "partial": partial,
            "complete": complete,
            "line_model": model._meta.get_field("lines").related_model,
            "delivery_line_model": delivery._meta.get_field("lines").related_model,
            "transitions": {
                "change": Transition(frozenset({draft}), "only a draft can be changed"),
                "release": Transition(frozenset({draft}), f"only a draft can be {released}"),
                "cancel": Transition(frozenset({draft}) | open_from, "it cannot be cancelled"),
                **{name: Transition(open_from, f"{open_words} {words}") for name, words in self.open_actions.items()},
            },
            "audit_name": label.replace(" ", "_"),
        }
        for name, value in derived.items():
            object.__setattr__(self, name, value)

    # Set by __post_init__ from the models (declared for readers and the type checker).
    released: str = field(init=False)
    partial: str = field(init=False)
    complete: str = field(init=False)
    line_model: type[Any] = field(init=False)
    delivery_line_model: type[Any] = field(init=False)
    transitions: Mapping[str, Transition] = field(init=False)
    audit_name: str = field(init=False)  # "sales_order": audit actions are orders.<audit_name>_<verb>

    @property
    def label(self) -> str:
        return str(self.model._meta.verbose_name)  # "sales order"

    @property
    def reference_field(self) -> str:
        return f"{self.partner_field}_reference"

    @property
    def header(self) -> frozenset[str]:
        """The fields a draft's update may set, besides its lines."""
        return frozenset({self.partner_field, self.reference_field, "notes", "custom_fields", *self.header_extra})

    @property
    def audited(self) -> tuple[str, ...]:
        """Header fields whose old -> new values the audit log keeps."""
        return (*sorted(self.header), "status")

    @property
    def released_at(self) -> str:
        return f"{self.released}_at"

    @property
    def delivered_field(self) -> str:
        return f"{self.complete}_quantity"

    @property
    def delivery_field(self) -> str:
        """The delivery line's link to its delivery: "shipment", "receipt"."""
        return self.delivery_model._meta.model_name or ""


# --- Guard, lock and trail ------------------------------------------------------------------------------------------
def transition_refusal(kind: OrderKind, order: AnyOrder, transition: str) -> str | None:
    """Why `transition` may not run on the order in its current status, or None when it may."""
    rule = kind.transitions[transition]
    if order.status in rule.allowed_from:
        return None
    return f"{kind.label} {order.number} is {order.get_status_display().lower()}; {rule.refusal}"


def guard(kind: OrderKind, order: AnyOrder, transition: str) -> None:
    refusal = transition_refusal(kind, order, transition)
    if refusal is not None:
        raise InvalidTransition(refusal)


_BEFORE = "_audit_before"


def lock_order(kind: OrderKind, order: AnyOrder) -> AnyOrder:
    """The order's row, locked for the rest of the transaction, with its audited fields remembered.

    Only the order's row: `of=("self",)` keeps the related rows read with it (the ship-from location) unlocked, so
    other writers' foreign-key checks on them go on (inventory.services.locking).
    """
    rows = kind.model._default_manager.select_for_update(of=("self",))
    if kind.lock_related:
        rows = rows.select_related(*kind.lock_related)
    locked = rows.filter(pk=order.pk).first()
    if locked is None:
        raise OrderError(f"{kind.label} {order.number} does not exist")
    setattr(locked, _BEFORE, snapshot(locked, kind.audited))
    return locked


def record(
    kind: OrderKind, order: AnyOrder, event: str, user: User, detail: str = "", *, lines: int | None = None
) -> None:
    """The order's audit entry: the event, its changes since the order was locked, the line count and a detail."""
    before = getattr(order, _BEFORE, None) or dict.fromkeys(kind.audited)
    changes = changes_since(order, before)
    if lines is not None:
        changes["lines"] = [None, lines]
    if detail:
        changes["detail"] = [None, detail[:500]]
    audit_record(user=user, action=f"orders.{kind.audit_name}_{AUDIT_VERBS[event]}", obj=order, changes=changes)


def lock_levels(pairs: Iterable[tuple[int, int]]) -> None:
    """Lock the level rows of (item_id, location_id) pairs in primary-key order, before inventory re-locks them."""
    inventory.lock_levels(pairs)


def locked_lines(order: AnyOrder) -> list[Any]:
    """The order's lines with their items, locked in primary-key order."""
    return list(order.lines.select_related("item", "item__uom").select_for_update(of=("self",)).order_by("pk"))


# --- Drafts ---------------------------------------------------------------------------------------------------------
def build_lines(kind: OrderKind, partner: Partner | None, lines: Lines) -> list[Any]:
    """Unsaved order lines from [{item, quantity, uom, <price field>, <date field>}], each refused with its number.

    `uom` (optional, default the item's stock unit) is the unit the quantity and the price are in: the item's stock
    unit or one it converts to; the line's stock quantity is derived exactly and must be countable in the stock unit.
    """
    default_date = kind.default_date(partner) if kind.default_date is not None and partner is not None else None
    entries = capped_lines(lines)
    _load_stock_units(entries)
    rows = []
    for number, line in enumerate(entries, start=1):
        where = f"line {number}"
        day = line.get(kind.date_field)
        item = line_item(line.get("item"), where=where)
        entered = line_quantity(line.get("quantity"), where=where)
        unit = line_unit(line.get("uom"), where=where)
        try:
            stock = inventory.to_stock_quantity(item, entered, unit)
        except DomainError as exc:
            raise InvalidOrderLine(f"{where}: {exc.message}", field="lines") from None
        converted = unit is not None and unit.pk != item.uom_id
        rows.append(
            kind.line_model(
                item=item,
                quantity=stock,
                uom=unit if converted else None,
                uom_quantity=entered if converted else None,
                **{
                    kind.price_field: money(line.get(kind.price_field), field=f"{where}: {kind.price_field}"),
                    kind.date_field: (
                        default_date
                        if default_date is not None and not day
                        else plan_date(day, field=f"{where}: {kind.date_field}")
                    ),
                },
            )
        )
    if not rows:
        raise InvalidOrderLine("an order needs at least one line", field="lines")
    return rows


def _load_stock_units(entries: list[Mapping[str, object]]) -> None:
    """The stock units of the lines' items in one query (their precision is checked line by line)."""
    items = [entry.get("item") for entry in entries]
    items = [item for item in items if isinstance(item, Item) and not Item.uom.is_cached(item)]
    units = UnitOfMeasure.objects.in_bulk({item.uom_id for item in items})
    for item in items:
        if item.uom_id in units:
            item.uom = units[item.uom_id]


def _save_lines(kind: OrderKind, order: AnyOrder, rows: list[Any]) -> None:
    # The items' stock units must stay the ones the quantities were checked against until commit.
    inventory.hold_items((row.item for row in rows), field="lines", error=InvalidOrderLine)
    for row in rows:
        row.order = order
    kind.line_model._default_manager.bulk_create(rows)


def order_create(kind: OrderKind, *, partner: Partner, lines: Lines, user: User, **header: Any) -> AnyOrder:
    """A draft order of `kind` for the partner, with its lines."""
    kind.check_partner(partner)
    kind.clean_header(header)
    # Custom-field values (customfields): the kind's entity is its audit name, "sales_order" / "purchase_order".
    header["custom_fields"] = validate_custom_values(kind.audit_name, header.get("custom_fields") or {})
    rows = build_lines(kind, partner, lines)
    header[kind.reference_field] = header.get(kind.reference_field, "").strip()
    header.update({kind.partner_field: partner, "created_by": actor(user)})
    with transaction.atomic():
        order = kind.model._default_manager.create(**header)
        _save_lines(kind, order, rows)
        record(kind, order, "created", user, f"{len(rows)} line(s)", lines=len(rows))
    return order


def order_update(
    kind: OrderKind,
    *,
    order: AnyOrder,
    user: User,
    lines: Lines | None = None,
    **fields: Any,
) -> AnyOrder:
    """Change a draft's header fields and, when `lines` is given, replace its lines as a whole."""
    unknown = set(fields) - kind.header
    if unknown:
        raise TypeError(f"cannot set {', '.join(sorted(unknown))} on a {kind.label}")
    if kind.partner_field in fields:
        kind.check_partner(fields[kind.partner_field])
    kind.clean_header(fields)
    partner = fields.get(kind.partner_field)
    if lines is not None and partner is None and kind.default_date is not None:
        partner = getattr(order, kind.partner_field)  # the lines' default date depends on it
    rows = build_lines(kind, partner, lines) if lines is not None else None
    with transaction.atomic():
        order = lock_order(kind, order)
        guard(kind, order, "change")
        if "custom_fields" in fields:  # by key: null removes a value, keys not given stay
            merged = merged_custom_values(order.custom_fields, fields["custom_fields"] or {})
            fields["custom_fields"] = validate_custom_values(kind.audit_name, merged)
        for name, value in fields.items():
            setattr(order, name, value.strip() if name == kind.reference_field else value)
        order.save()
        if rows is not None:
            order.lines.all().delete()
            _save_lines(kind, order, rows)
        changed = sorted([*fields, *(["lines"] if rows is not None else [])])
        record(kind, order, "changed", user, ", ".join(changed), lines=len(rows) if rows is not None else None)
    return order


# --- Release and cancel ---------------------------------------------------------------------------------------------
@retry_on_conflict
def order_release(kind: OrderKind, *, order: AnyOrder, user: User) -> AnyOrder:
    """Draft -> released (confirmed, sent), with the kind's side effect (a sales order reserves stock)."""
    with transaction.atomic():
        order = lock_order(kind, order)
        guard(kind, order, "release")
        detail = kind.on_release(order, user) if kind.on_release is not None else ""
        order.status = kind.released
        setattr(order, kind.released_at, timezone.now())
        order.save(update_fields=["status", kind.released_at])
        record(kind, order, kind.released, user, detail)
    return order


@retry_on_conflict
def order_cancel(kind: OrderKind, *, order: AnyOrder, user: User, reason: str = "") -> AnyOrder:
    """Cancel an order that is not delivered in full: nothing more moves for it; its deliveries stay."""
    with transaction.atomic():
        order = lock_order(kind, order)
        guard(kind, order, "cancel")
        if kind.on_cancel is not None:
            kind.on_cancel(order, user)
        order.status = order.Status.CANCELLED
        order.closed_at = timezone.now()
        order.save(update_fields=["status", "closed_at"])
        record(kind, order, "cancelled", user, reason)
    return order


# --- Deliveries -----------------------------------------------------------------------------------------------------
def _requested(lines: Lines, valid: Mapping[int, Any], order_number: str) -> list[tuple[Any, Decimal]]:
    """[(order line, quantity)] from [{line, quantity}]: each line of this order at most once, each quantity in the
    item's stock unit (whatever unit the line was ordered in) and countable in it."""
    requested: list[tuple[Any, Decimal]] = []
    seen: set[int] = set()
    for number, entry in enumerate(lines, start=1):
        line = entry.get("line")
        line_id: Any = getattr(line, "pk", line)
        where = f"line {number}"
        if line_id not in valid:
            raise InvalidOrderLine(f"{where}: not a line of order {order_number}", field="lines")
        if line_id in seen:
            raise InvalidOrderLine(f"{where}: order line #{line_id} is listed twice", field="lines")
        seen.add(line_id)
        quantity = line_quantity(entry.get("quantity"), where=where)
        problem = inventory.precision_error(quantity, valid[line_id].item.uom)
        if problem is not None:  # deliveries count in the stock unit, as the ledger does
            raise on_line(InvalidOrderLine(f"{where}: quantity {problem}", field="lines"), valid[line_id])
        requested.append((valid[line_id], quantity))
    if not requested:
        raise InvalidOrderLine("list at least one line and its quantity", field="lines")
    return requested


def stock_unit_price(kind: OrderKind, line: Any) -> Decimal:
    """The line's price per unit of the item's stock unit: a line ordered in boxes of 12 at 6.00 a box is 0.50 a
    piece (the price is per the line's own unit)."""
    price = getattr(line, kind.price_field)
    if line.line_quantity == line.quantity:
        return price
    return (price * line.line_quantity / line.quantity).quantize(Decimal("0.0001"), ROUND_HALF_UP)


def _post_line(
    kind: OrderKind,
    line: Any,
    quantity: Decimal,
    *,
    location: Location,
    delivery: Delivery,
    user: User,
    ref: str,
    lots: Any = None,
) -> StockMove:
    """The line's stock move: OUT ships its own reservation first, then free stock; IN receives at the line's
    price (the item's moving-average cost follows it). `lots`: the line's lots or serials for a tracked item
    (required in, picked out; FEFO out without them)."""
    if kind.direction is Direction.IN:
        return inventory.stock_receive(
            item=line.item, location=location, quantity=quantity, user=user, reference=ref, source=delivery,
            lots=lots, unit_cost=stock_unit_price(kind, line),
        )  # fmt: skip
    from_reservation = min(quantity, line.reserved_quantity)
    if from_reservation > 0:
        inventory.stock_unreserve(
            item=line.item, location=location, quantity=from_reservation, user=user, reference=ref
        )
        line.reserved_quantity -= from_reservation
    return inventory.stock_issue(
        item=line.item,
        location=location,
        quantity=quantity,
        user=user,
        reason=StockMove.Reason.SHIPMENT,
        reference=ref,
        source=delivery,
        lots=lots,
    )


@retry_on_conflict
def delivery_create(
    kind: OrderKind,
    *,
    order: AnyOrder,
    lines: Lines,
    user: User,
    location: Location | None = None,
    reference: str = "",
) -> Any:
    """Deliver some or all open quantities of an open order: one stock move per line, all or nothing.

    OUT moves stock from the order's location, IN into `location`. A line delivers at most what is open on it (plus
    the kind's tolerance); the order is complete when no line has anything open.
    """
    lines = capped_lines(lines)
    tolerance = kind.tolerance()
    with transaction.atomic():
        order = lock_order(kind, order)
        guard(kind, order, "deliver")
        where = location if kind.direction is Direction.IN else order.location
        assert where is not None  # receipts resolve their location before calling
        order_lines = {line.pk: line for line in locked_lines(order)}
        requested = _requested(lines, order_lines, order.number)
        lots = {getattr(entry.get("line"), "pk", entry.get("line")): entry.get("lots") for entry in lines}
        for line, quantity in requested:
            allowed = line.quantity * (1 + tolerance / 100) - getattr(line, kind.delivered_field)
            if quantity > allowed:
                raise on_line(kind.over_delivery(line, allowed, quantity, order.number, tolerance), line)
        # Existing level rows are locked in primary-key order, missing ones created in item order (by the
        # receive service), so two deliveries of the same items never wait on each other in a cycle.
        lock_levels((line.item_id, where.pk) for line, _ in requested)
        inventory.valuation_lock(line.item_id for line, _ in requested)  # then the items' values, in item order
        document: dict[str, Any] = {"order": order, "reference": reference.strip(), "created_by": actor(user)}
        if kind.direction is Direction.IN:
            document["location"] = where
        delivery = kind.delivery_model._default_manager.create(**document)
        ref = f"{order.number} {delivery}"
        if kind.direction is Direction.IN:
            requested = sorted(requested, key=lambda entry: (entry[0].item_id, entry[0].pk))
        for line, quantity in requested:
            try:
                move = _post_line(
                    kind, line, quantity, location=where, delivery=delivery, user=user, ref=ref, lots=lots.get(line.pk)
                )
            except DomainError as exc:  # e.g. not enough on hand: the whole delivery rolls back
                on_line(exc, line)
                raise
            kind.delivery_line_model.objects.create(
                **{kind.delivery_field: delivery}, order_line=line, quantity=quantity, move=move
            )
            setattr(line, kind.delivered_field, getattr(line, kind.delivered_field) + quantity)
            fields = [kind.delivered_field, *(["reserved_quantity"] if kind.direction is Direction.OUT else [])]
            line.save(update_fields=fields)
        if all(line.open_quantity == 0 for line in order_lines.values()):
            order.status = kind.complete
            order.closed_at = timezone.now()
        else:
            order.status = kind.partial
        order.save(update_fields=["status", "closed_at"])
        into = f" into {where.code}" if kind.direction is Direction.IN else ""
        record(kind, order, kind.complete, user, f"{delivery}: {len(requested)} line(s){into}")
    return delivery
