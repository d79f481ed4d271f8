"""Stock moves: receive, issue, transfer, adjust to a count, reverse; each one statement (`inventory_post_move`)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db import IntegrityError, connection, transaction
from django.db.models import Model
from django.utils import timezone

from audit.services import AUDIT_ROW_SQL, audit_row_params
from core.numbers import parse_money, parse_quantity
from core.retry import retry_on_conflict
from core.users import User, acting_user
from inventory.models import Item, Location, StockMove, ValuationEntry
from inventory.services.documents import move_document, same_document
from inventory.services.errors import (
    InactiveItem,
    InvalidMove,
    InvalidQuantity,
    MoveAlreadyReversed,
    MoveBelongsToDocument,
)
from inventory.services.levels import (
    check_item,
    check_location,
    ensure_level,
    inactive_item,
    inactive_location,
    insufficient,
    level_too_large,
    lock_level,
    overflow_refused,
    require_saved,
    reserved_short,
    unknown_location,
)
from inventory.services.locking import unit_changed
from inventory.services.lots import LotsInput, apply_lots, parse_lots
from inventory.services.units import check_item_quantity
from inventory.services.valuation import UNVALUED, VALUE_MOVE, value_params

_SHAPES = {
    # reason: (needs from_location, needs to_location); None = either or both
    StockMove.Reason.RECEIPT: (False, True),
    StockMove.Reason.ISSUE: (True, False),
    StockMove.Reason.TRANSFER: (True, True),
    StockMove.Reason.ADJUSTMENT: (None, None),
    StockMove.Reason.PRODUCTION_CONSUMPTION: (True, False),
    StockMove.Reason.PRODUCTION_OUTPUT: (False, True),
    StockMove.Reason.SHIPMENT: (True, False),
}


# Reasons that only a document posts: `stock_move_post` (the API's and any generic caller's way in) refuses them
# without a source. The documents' own services post them with theirs (or through `stock_issue`).
_POSTED_BY = {
    StockMove.Reason.PRODUCTION_CONSUMPTION: "completing its work order",
    StockMove.Reason.PRODUCTION_OUTPUT: "completing its work order",
    StockMove.Reason.SHIPMENT: "shipping its sales order",
}


def _check_document(reason: str, source: Model | None) -> None:
    if source is None and reason in _POSTED_BY:
        label = StockMove.Reason(reason).label.lower()
        raise InvalidMove(
            f"a {label} move is posted by {_POSTED_BY[reason]}, not directly; use receipt, issue, transfer or "
            "adjustment",
            field="reason",
        )


def _check_shape(reason: str, from_location: Location | None, to_location: Location | None) -> None:
    if reason not in _SHAPES:
        raise InvalidMove(f"unknown reason {reason!r}: use one of {', '.join(StockMove.Reason.values)}", field="reason")
    needs_from, needs_to = _SHAPES[reason]
    label = StockMove.Reason(reason).label.lower()
    if needs_from is True and from_location is None:
        raise InvalidMove(f"a {label} needs a from location", field="from_location")
    if needs_from is False and from_location is not None:
        raise InvalidMove(f"a {label} comes from outside: leave the from location empty", field="from_location")
    if needs_to is True and to_location is None:
        raise InvalidMove(f"a {label} needs a to location", field="to_location")
    if needs_to is False and to_location is not None:
        raise InvalidMove(f"a {label} goes outside: leave the to location empty", field="to_location")
    if from_location is None and to_location is None:
        raise InvalidMove("a move needs a from location, a to location or both", field="to_location")
    if from_location is not None and to_location is not None and from_location.pk == to_location.pk:
        raise InvalidMove(f"from and to are the same location ({to_location.code})", field="to_location")


# One round trip: the database function (migration 0004) creates a missing destination level, locks the levels in
# primary-key order, checks the rules, inserts the move and updates the levels, or refuses having written nothing.
# The audit entry is written by the same statement, only for a move that was posted; so is, for a move that
# consumes a reservation, the reservation's negative entry (Σ entries == reserved for every level).
_POST_MOVE = (
    "WITH posted AS (SELECT * FROM inventory_post_move(%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)),"
    f" audit AS ({AUDIT_ROW_SQL.format(object_id='move_id', source='posted')} WHERE outcome = 'ok'),"
    " consumed AS (INSERT INTO inventory_reservationentry (item_id, location_id, quantity, reference, created_by_id,"
    " created_at) SELECT %s::bigint, %s::bigint, -(%s::numeric), %s::varchar, %s::bigint, %s::timestamptz"
    " FROM posted WHERE outcome = 'ok' AND %s::boolean)"
)


_TRACKED_NOW = {
    Item.Tracking.NONE: "is no longer tracked by lot or serial",
    Item.Tracking.LOT: "is now tracked by lot",
    Item.Tracking.SERIAL: "is now tracked by serial number",
}


def _post_move(*, item: Item, lots: LotsInput = None, **fields: Any) -> StockMove:
    """Post one move (`_post_move_row`); for an item tracked by lot or serial, apply its lots in the same transaction.

    The lots are checked before anything is written; a refusal while taking them (a picked lot short) rolls the
    move back with them (a savepoint when nested, so the caller's transaction stays usable)."""
    if item.tracking == Item.Tracking.NONE and not lots:
        return _post_move_row(item=item, **fields)
    reverses = fields.get("reverses")
    entries = None
    if reverses is None:
        entries = parse_lots(
            item=item, quantity=fields["quantity"], lots=lots, incoming=fields.get("from_location") is None
        )
    with transaction.atomic():
        # Tells the posting function this transaction applies the item's lots: it refuses the move when the item's
        # tracking, read under its lock, says otherwise (changed while this was entered).
        with connection.cursor() as cursor:
            cursor.execute("SELECT set_config('inventory.lots_for_item', %s, true)", [str(item.pk)])
        move = _post_move_row(item=item, **fields)
        if item.tracking != Item.Tracking.NONE:
            apply_lots(move=move, item=item, entries=entries, reverses=reverses)
    return move


def _post_move_row(
    *,
    item: Item,
    quantity: Decimal,
    reason: str,
    from_location: Location | None,
    to_location: Location | None,
    user: User,
    reference: str = "",
    source: Model | None = None,
    reverses: StockMove | None = None,
    from_reservation: bool = False,
    check_active: bool = True,
    unit_cost: Decimal | None = None,
) -> StockMove:
    """Post one move, update its levels, its item's stock value and write its audit entry, all or nothing.

    A move into the plant is valued at `unit_cost` when given (else at the moving average), one out of it at the
    moving average unless `unit_cost` is given (a reversal at the original cost); a transfer changes no value.

    One statement, so it is a transaction of its own, or part of the caller's (orders, production) when one is
    open: no BEGIN/COMMIT or savepoint round trips. A refusal writes nothing, so the caller's transaction stays
    usable.
    """
    if item.pk is None:
        raise InvalidMove("the item has not been saved", field="item")
    if check_active and not item.is_active:
        raise inactive_item(item)
    for location, field in ((from_location, "from_location"), (to_location, "to_location")):
        if location is not None:
            require_saved(location, field)
    created_by = acting_user(user)
    source_type = ContentType.objects.get_for_model(source) if source is not None else None
    reference = reference.strip()[:200]
    created_at = timezone.now()
    delta = quantity if from_location is None else -quantity if to_location is None else Decimal(0)
    valued = delta != 0
    with overflow_refused(item, quantity), connection.cursor() as cursor:
        cursor.execute(
            _POST_MOVE + (VALUE_MOVE if valued else UNVALUED),
            [
                item.pk,
                quantity,
                reason,
                from_location.pk if from_location is not None else None,
                to_location.pk if to_location is not None else None,
                reference,
                source_type.pk if source_type is not None else None,
                source.pk if source is not None else None,
                reverses.pk if reverses is not None else None,
                created_by.pk if created_by is not None else None,
                created_at,
                from_reservation,
                check_active,
                *audit_row_params(
                    user=created_by,
                    action=f"inventory.stock_{reason}",
                    object_type="inventory.stockmove",
                    summary=f"{reason} {quantity} of {item.sku}",
                    changes={
                        "item": [None, item.sku],
                        "quantity": [None, quantity],
                        "from_location": [None, from_location.code if from_location is not None else None],
                        "to_location": [None, to_location.code if to_location is not None else None],
                        "reference": [None, reference],
                        **({"reverses": [None, reverses.pk]} if reverses is not None else {}),
                    },
                ),
                item.pk,
                from_location.pk if from_location is not None else None,
                quantity,
                reference,
                created_by.pk if created_by is not None else None,
                created_at,
                from_reservation and from_location is not None,
                *(value_params(item, delta, unit_cost, created_at) if valued else []),
            ],
        )
        outcome, field, move_id, amount, code, moved_at = cursor.fetchone()
    if outcome != "ok":
        location = from_location if field == "from_location" or field == "quantity" else to_location
        if outcome == "insufficient":
            raise insufficient(item, location, amount, quantity)
        if outcome == "reserved_short":
            raise reserved_short(item, location, amount, quantity, "from the reservation")
        if outcome == "inactive_item":
            raise inactive_item(item)
        if outcome == "unknown_location":
            raise unknown_location(location, field)
        if outcome == "inactive_location":
            raise inactive_location(code, field)
        if outcome == "level_too_large":
            raise level_too_large(item, code, amount, quantity)
        if outcome == "unit_precision":
            raise unit_changed(item, quantity)
        if outcome == "tracking_changed":
            now = _TRACKED_NOW.get(code, f"is now tracked by {code}")
            message = f"item {item.sku} {now} (changed while this was entered): enter the move again"
            raise InvalidMove(message, field="lots")
        raise InvalidMove(f"unknown item {item.sku!r}", field="item")  # 'unknown_item': deleted meanwhile
    move = StockMove(
        pk=move_id,
        item=item,
        quantity=quantity,
        reason=reason,
        from_location=from_location,
        to_location=to_location,
        reference=reference,
        source_type=source_type,
        source_id=source.pk if source is not None else None,
        reverses=reverses,
        created_by=created_by,
        created_at=created_at,
    )
    if source is not None:
        move.source = source
    move.unit_cost = moved_at
    move._state.adding, move._state.db = False, connection.alias
    return move


@retry_on_conflict
def stock_move_post(
    *,
    item: Item,
    quantity: Decimal | int | str,
    reason: str,
    from_location: Location | None = None,
    to_location: Location | None = None,
    user: User,
    reference: str = "",
    source: Model | None = None,
    lots: LotsInput = None,
    unit_cost: Decimal | int | str | None = None,
) -> StockMove:
    """Post one move of any reason; the reason decides which locations it needs (a receipt only `to`, etc.).

    Stock leaving a location must be available there (on hand - reserved), the item and locations must be active.
    Shipments and production moves are posted by their documents only (with `source`). For a tracked item, `lots`
    names the lots (services.lots): required for stock that arrives, FEFO when stock leaves without them.
    `unit_cost` values stock coming in (a purchase price); without it, it comes in at the moving-average cost.
    """
    quantity = check_item_quantity(item, parse_quantity(quantity))
    _check_shape(reason, from_location, to_location)
    _check_document(reason, source)
    return _post_move(
        item=item,
        quantity=quantity,
        reason=reason,
        from_location=from_location,
        to_location=to_location,
        user=user,
        reference=reference,
        source=source,
        lots=lots,
        unit_cost=parse_money(unit_cost, field="unit_cost") if unit_cost is not None else None,
    )


def stock_receive(
    *,
    item: Item,
    location: Location,
    quantity: Decimal | int | str,
    user: User,
    reference: str = "",
    source: Model | None = None,
    lots: LotsInput = None,
    unit_cost: Decimal | int | str | None = None,
) -> StockMove:
    """Stock arrives from outside into `location` (a tracked item's lots or serials named in `lots`), at
    `unit_cost` (else at the item's moving-average cost)."""
    return stock_move_post(
        item=item,
        quantity=quantity,
        reason=StockMove.Reason.RECEIPT,
        to_location=location,
        user=user,
        reference=reference,
        source=source,
        lots=lots,
        unit_cost=unit_cost,
    )


@retry_on_conflict
def stock_issue(
    *,
    item: Item,
    location: Location,
    quantity: Decimal | int | str,
    user: User,
    reason: str = StockMove.Reason.ISSUE,
    reference: str = "",
    source: Model | None = None,
    from_reservation: bool = False,
    lots: LotsInput = None,
) -> StockMove:
    """Stock leaves `location` to outside (issue, production consumption, shipment); a tracked item's lots as picked
    in `lots`, else first-expiry-first-out.

    Without `from_reservation` only available stock may leave; with it the quantity consumes a reservation made
    earlier by `stock_reserve` (reserved and on hand both go down).
    """
    quantity = check_item_quantity(item, parse_quantity(quantity))
    _check_shape(reason, location, None)
    return _post_move(
        item=item,
        quantity=quantity,
        reason=reason,
        from_location=location,
        to_location=None,
        user=user,
        reference=reference,
        source=source,
        from_reservation=from_reservation,
        lots=lots,
    )


def stock_transfer(
    *,
    item: Item,
    from_location: Location,
    to_location: Location,
    quantity: Decimal | int | str,
    user: User,
    reference: str = "",
    lots: LotsInput = None,
) -> StockMove:
    """Available stock moves between two locations of this tenant (a tracked item's lots move with it)."""
    return stock_move_post(
        item=item,
        quantity=quantity,
        reason=StockMove.Reason.TRANSFER,
        from_location=from_location,
        to_location=to_location,
        user=user,
        reference=reference,
        lots=lots,
    )


@retry_on_conflict
def stock_adjust(
    *,
    item: Item,
    location: Location,
    counted_quantity: Decimal | int | str,
    user: User,
    reference: str = "",
    lots: LotsInput = None,
) -> StockMove | None:
    """Set on hand at `location` to a counted quantity by posting the difference as an adjustment move.

    Returns None when the count equals on hand (nothing to post). A count below the reserved quantity is refused:
    release the reservation first.
    """
    counted = parse_quantity(counted_quantity, field="counted_quantity", allow_zero=True)
    check_item_quantity(item, counted, field="counted_quantity")
    require_saved(location, "location")
    if not item.is_active:
        raise InactiveItem(f"item {item.sku} is inactive; activate it before moving its stock", field="item")
    with transaction.atomic():
        ensure_level(item, location)
        level = lock_level(item, location)
        check_location(location, level, "location")
        check_item(item, level)
        if counted < level.reserved:
            raise InvalidQuantity(
                f"item {item.sku} at {location.code} has {level.reserved.normalize():f} reserved; "
                f"a count of {counted.normalize():f} is below it: release the reservation first",
                field="counted_quantity",
            )
        delta = counted - level.on_hand
        if delta == 0:
            return None
        # The level is already locked: posting re-locks it in this transaction, which costs nothing.
        return _post_move(
            item=item,
            quantity=abs(delta),
            reason=StockMove.Reason.ADJUSTMENT,
            from_location=location if delta < 0 else None,
            to_location=location if delta > 0 else None,
            user=user,
            reference=reference or f"count: {counted.normalize():f}",
            lots=lots,
        )


@retry_on_conflict
def stock_move_reverse(*, move: StockMove, user: User, reference: str = "", undo_of: Model | None = None) -> StockMove:
    """Cancel a move by posting its mirror image (same item, quantity and reason; locations swapped).

    A move is reversed at most once, and a reversal is not itself reversed (post a new move instead). Reversing
    needs the stock to be there: a receipt whose goods were already issued cannot be reversed. A move a document
    posted (a shipment, a receipt, a work order) is not reversed bare, which would leave the document saying it
    happened: the document's own undo (a customer return, a return to supplier, un-complete) reverses it, passing
    itself as `undo_of`, and the reversal is recorded against it.
    """
    if move.source_type_id is not None and (undo_of is None or not same_document(move, undo_of)):
        document = move_document(move)
        assert document is not None
        raise MoveBelongsToDocument(
            f"move #{move.pk} was posted by {document.label}: undo it with {document.undo}, which moves the stock "
            f"back and updates the {document.kind} together (a bare reversal would leave the {document.kind} "
            "saying it happened)",
            document=document,
        )
    if move.reverses_id is not None:
        raise MoveAlreadyReversed(
            f"move #{move.pk} is itself the reversal of move #{move.reverses_id}; post a new move instead"
        )
    if StockMove.objects.filter(reverses_id=move.pk).exists():
        raise MoveAlreadyReversed(f"move #{move.pk} has already been reversed")
    try:
        # A savepoint when nested: losing the race below must leave the caller's transaction usable.
        with transaction.atomic():
            return _post_move(
                item=move.item,
                quantity=move.quantity,
                reason=move.reason,
                from_location=move.to_location,
                to_location=move.from_location,
                user=user,
                reference=reference or f"reversal of move #{move.pk}",
                source=undo_of,
                reverses=move,
                check_active=False,
                unit_cost=ValuationEntry.objects.filter(move_id=move.pk).values_list("unit_cost", flat=True).first(),
            )
    except IntegrityError:
        if StockMove.objects.filter(reverses_id=move.pk).exists():
            raise MoveAlreadyReversed(f"move #{move.pk} has already been reversed") from None
        raise
