"""Lots and serial numbers: which lots a move of a tracked item brings or takes, and the genealogy a work order leaves.

Only items tracked by lot or serial get here (`Item.tracking`); untracked items post exactly as before. A tracked
move is posted by `inventory_post_move` like any other (it locks the item's `StockLevel` rows and checks the item-level
rule), then, in the same transaction, its lots are applied: incoming lots are created or topped up, outgoing ones
are taken as the user picked them or first-expiry-first-out (FEFO: earliest expiry first, lots without expiry last,
then oldest lot first), and one `StockMoveLot` row per lot records it. A refusal rolls the move back with them.

Lock order: the move's item (FOR KEY SHARE) and `StockLevel` rows (primary-key order, inside `inventory_post_move`),
then, for serial numbers that arrive, their `Lot` rows (FOR NO KEY UPDATE, primary-key order), then the `LotLevel`
rows the move changes at each of its locations, in primary-key order. Every writer of lot levels holds the item's
level row at that location first, so lot levels are changed one transaction at a time per (item, location) and never
deadlock; the CHECK on_hand >= 0 stands behind the arithmetic. A serial's lot row is what orders two receipts of it
into different locations (`_receive_lots`).
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db import IntegrityError, transaction
from django.db.models import F, Model, Sum

from core.numbers import parse_quantity
from inventory.models import Item, Location, Lot, LotGenealogy, LotLevel, StockMove, StockMoveLot
from inventory.services.errors import InsufficientStock, InvalidMove

PLACES = Decimal("0.0001")
MAX_CODE = 64


@dataclass(frozen=True)
class LotEntry:
    """One lot of a move as the caller names it: its code, how much (None: the whole move, or 1 for a serial), and
    for a lot that arrives, the supplier's lot number and the expiry date."""

    code: str
    quantity: Decimal | None = None
    supplier_lot: str = ""
    expiry_date: datetime.date | None = None


LotsInput = Sequence[LotEntry | Mapping[str, Any] | str] | None


def _fmt(value: Decimal) -> str:
    return f"{value.normalize():f}"


def _entry(raw: LotEntry | Mapping[str, Any] | str, number: int) -> LotEntry:
    where = f"lot {number}"
    if isinstance(raw, LotEntry):
        entry = raw
    elif isinstance(raw, str):
        entry = LotEntry(code=raw)
    elif isinstance(raw, Mapping):
        quantity = raw.get("quantity")
        expiry = raw.get("expiry_date")
        if isinstance(expiry, str) and expiry:
            try:
                expiry = datetime.date.fromisoformat(expiry)
            except ValueError:
                raise InvalidMove(
                    f"{where}: the expiry date {expiry!r} is not a date (YYYY-MM-DD)", field="lots"
                ) from None
        if expiry is not None and expiry != "" and not isinstance(expiry, datetime.date):
            raise InvalidMove(f"{where}: the expiry date is not a date (YYYY-MM-DD)", field="lots")
        entry = LotEntry(
            code=str(raw.get("code") or ""),
            quantity=None if quantity in (None, "") else parse_quantity(quantity, field="lots"),
            supplier_lot=str(raw.get("supplier_lot") or ""),
            expiry_date=expiry or None,
        )
    else:
        raise InvalidMove(f"{where}: give a code (and a quantity), or a serial number", field="lots")
    code = entry.code.strip()
    if not code:
        raise InvalidMove(f"{where}: the lot or serial number is empty", field="lots")
    if len(code) > MAX_CODE or len(entry.supplier_lot.strip()) > MAX_CODE:
        raise InvalidMove(f"{where}: lot numbers are at most {MAX_CODE} characters", field="lots")
    return LotEntry(code, entry.quantity, entry.supplier_lot.strip(), entry.expiry_date)


def parse_lots(*, item: Item, quantity: Decimal, lots: LotsInput, incoming: bool) -> list[LotEntry] | None:
    """The move's lots, checked against the item's tracking and the move's quantity; None: pick FEFO (outgoing only).

    An item not tracked takes no lots. A lot item's lots must add up to the quantity (one lot without a quantity
    takes all of it); a serial item needs exactly one serial number per unit."""
    if item.tracking == Item.Tracking.NONE:
        if lots:
            raise InvalidMove(f"item {item.sku} is not tracked by lot or serial: leave the lots empty", field="lots")
        return None
    serial = item.tracking == Item.Tracking.SERIAL
    if serial and quantity != quantity.to_integral_value():
        raise InvalidMove(f"item {item.sku} is tracked by serial number: move whole units", field="quantity")
    if not lots:
        if not incoming:
            return None
        what = "the serial number of each unit" if serial else "the lot (batch)"
        raise InvalidMove(f"item {item.sku} is tracked by {item.tracking}: give {what} it comes in", field="lots")
    entries = [_entry(raw, number) for number, raw in enumerate(lots, start=1)]
    codes = [entry.code for entry in entries]
    if len(set(codes)) != len(codes):
        raise InvalidMove(f"a lot or serial number is listed twice for item {item.sku}", field="lots")
    if serial:
        if any(entry.quantity not in (None, Decimal(1)) for entry in entries):
            raise InvalidMove("a serial number stands for one unit: leave its quantity empty or 1", field="lots")
        if Decimal(len(entries)) != quantity:
            raise InvalidMove(
                f"{_fmt(quantity)} unit(s) of {item.sku} need {_fmt(quantity)} serial number(s); {len(entries)} given",
                field="lots",
            )
        return [LotEntry(entry.code, Decimal(1), entry.supplier_lot, entry.expiry_date) for entry in entries]
    if len(entries) == 1 and entries[0].quantity is None:
        only = entries[0]
        return [LotEntry(only.code, quantity, only.supplier_lot, only.expiry_date)]
    if any(entry.quantity is None for entry in entries):
        raise InvalidMove("with more than one lot, give each lot's quantity", field="lots")
    total = sum((entry.quantity or Decimal(0) for entry in entries), Decimal(0))
    if total != quantity:
        raise InvalidMove(f"the lots add up to {_fmt(total)}; the move is {_fmt(quantity)}", field="lots")
    return entries


def _existing(item: Item, codes: Iterable[str]) -> dict[str, Lot]:
    """The item's lots by code; codes are compared exactly, as the supplier wrote them ("a1" and "A1" differ)."""
    return {lot.code: lot for lot in Lot.objects.filter(item_id=item.pk, code__in=list(codes))}


def _bring_in(move: StockMove, item: Item, location: Location, allocation: list[tuple[Lot, Decimal]]) -> None:
    """Add each lot's quantity to its level at `location` (the item's level row there is held by the move)."""
    levels = {
        level.lot_id: level
        for level in LotLevel.objects.select_for_update()
        .filter(location_id=location.pk, lot_id__in=[lot.pk for lot, _ in allocation])
        .order_by("pk")
    }
    missing = [LotLevel(lot=lot, location=location) for lot, _ in allocation if lot.pk not in levels]
    if missing:
        LotLevel.objects.bulk_create(missing)
    for lot, quantity in allocation:
        LotLevel.objects.filter(lot_id=lot.pk, location_id=location.pk).update(on_hand=F("on_hand") + quantity)


def _receive_lots(move: StockMove, item: Item, entries: list[LotEntry]) -> list[tuple[Lot, Decimal]]:
    """Lots that arrive from outside: new ones are created with this move as their origin, known ones topped up.

    A known lot keeps its supplier lot and expiry (a different one given is refused); a serial number that is on
    hand somewhere already cannot arrive again.

    Two receipts of the same lot at the same moment into different locations hold different level rows, so nothing
    above orders them: a new lot created by both meets the unique (item, code) constraint, and the second then
    takes the lot the first created (a savepoint, so its transaction goes on); the serials that arrive are locked
    (FOR NO KEY UPDATE, in primary-key order) before their on-hand check, so the second waits for the first and then
    sees its unit in stock. Nothing else locks a lot row (level and move-lot rows only key-share it)."""
    known = _existing(item, [entry.code for entry in entries])
    allocation: list[tuple[Lot, Decimal]] = []
    serial = item.tracking == Item.Tracking.SERIAL
    for entry in entries:
        lot = known.get(entry.code)
        if lot is None:
            try:
                with transaction.atomic():
                    lot = Lot.objects.create(
                        item=item,
                        code=entry.code,
                        is_serial=serial,
                        supplier_lot=entry.supplier_lot,
                        expiry_date=entry.expiry_date,
                        created_by_move=move,
                    )
            except IntegrityError:  # created by a receipt committed meanwhile: this one tops it up
                lot = Lot.objects.get(item_id=item.pk, code=entry.code)
                known[lot.code] = lot
        if entry.expiry_date is not None and lot.expiry_date != entry.expiry_date:
            expiry = lot.expiry_date.isoformat() if lot.expiry_date else "no expiry date"
            raise InvalidMove(f"lot {lot.code} of {item.sku} exists with {expiry}; it cannot change", field="lots")
        allocation.append((lot, entry.quantity or Decimal(0)))
    if serial and known:
        known_ids = [lot.pk for lot in known.values()]
        list(Lot.objects.select_for_update(no_key=True).filter(pk__in=known_ids).order_by("pk"))
        on_hand = (
            LotLevel.objects.filter(lot_id__in=known_ids, on_hand__gt=0).values_list("lot__code", flat=True).first()
        )
        if on_hand is not None:
            raise InvalidMove(f"serial number {on_hand} of {item.sku} is already in stock", field="lots")
    return allocation


def _take_out(
    item: Item, location: Location, quantity: Decimal, entries: list[LotEntry] | None
) -> list[tuple[Lot, Decimal]]:
    """Take `quantity` of the item's lots out of `location`: the entries named, or FEFO.

    The move already holds the item's level row at `location`, so no other writer changes these lot levels until
    commit: the candidates are read in FEFO order only as far as the quantity needs (not every lot of the item
    there), then the chosen rows are locked in primary-key order (the documented order) and taken."""
    candidates = (
        LotLevel.objects.select_related("lot")
        .filter(location_id=location.pk, lot__item_id=item.pk, on_hand__gt=0)
        .only("pk", "on_hand", "lot_id", "lot__code", "lot__item_id", "lot__expiry_date", "lot__created_at")
    )
    allocation: list[tuple[LotLevel, Decimal]] = []
    if entries is not None:
        by_code = {level.lot.code: level for level in candidates.filter(lot__code__in=[e.code for e in entries])}
        for entry in entries:
            level = by_code.get(entry.code)
            have = level.on_hand if level is not None else Decimal(0)
            asked = entry.quantity or Decimal(0)
            if level is None and not Lot.objects.filter(item_id=item.pk, code=entry.code).exists():
                raise InvalidMove(f"item {item.sku} has no lot {entry.code}", field="lots")
            if have < asked:
                raise InsufficientStock(
                    f"lot {entry.code} of {item.sku} at {location.code} has {_fmt(have)}, {_fmt(asked)} asked",
                    field="lots",
                )
            assert level is not None
            allocation.append((level, asked))
    else:
        left = quantity
        fefo = candidates.order_by(F("lot__expiry_date").asc(nulls_last=True), "lot__created_at", "lot_id")
        for level in fefo.iterator(chunk_size=100):
            take = min(level.on_hand, left)
            allocation.append((level, take))
            left -= take
            if left <= 0:
                break
        if left > 0:
            raise InsufficientStock(
                f"item {item.sku} at {location.code} has {_fmt(quantity - left)} in lots, {_fmt(quantity)} asked",
                field="quantity",
            )
    list(LotLevel.objects.select_for_update().filter(pk__in=[level.pk for level, _ in allocation]).order_by("pk"))
    for level, taken in allocation:
        LotLevel.objects.filter(pk=level.pk).update(on_hand=F("on_hand") - taken)
    return [(level.lot, taken) for level, taken in allocation]


def apply_lots(*, move: StockMove, item: Item, entries: list[LotEntry] | None, reverses: StockMove | None) -> None:
    """Apply a just-posted move of a tracked item to its lots and record them (see the module docstring).

    A reversal takes back exactly the lots of the move it reverses. A transfer takes lots out of `from` and brings
    the same lots into `to`."""
    from_location, to_location = move.from_location, move.to_location
    if reverses is not None:
        entries = [
            LotEntry(row.lot.code, row.quantity)
            for row in StockMoveLot.objects.filter(move_id=reverses.pk).select_related("lot").order_by("lot_id")
        ]
        if not entries:  # the reversed move predates the item's tracking: nothing to mirror
            return
    allocation: list[tuple[Lot, Decimal]]
    if from_location is not None:
        allocation = _take_out(item, from_location, move.quantity, entries)
    else:
        assert entries is not None
        allocation = _receive_lots(move, item, entries)
    if to_location is not None:
        _bring_in(move, item, to_location, allocation)
    StockMoveLot.objects.bulk_create(
        StockMoveLot(move=move, lot=lot, quantity=quantity) for lot, quantity in allocation
    )


def lot_genealogy_record(*, consumed: Sequence[StockMove], produced: StockMove, source: Model) -> list[LotGenealogy]:
    """Record which lots of the consumed moves went into which lots of the produced move (one row per pair).

    Each produced lot gets a share of each consumed lot pro rata to the quantity of it that was made. Moves of
    untracked items have no lots and leave no rows."""
    move_ids = [move.pk for move in consumed]
    consumed_lots = list(
        StockMoveLot.objects.filter(move_id__in=move_ids)
        .values("lot_id")
        .annotate(total=Sum("quantity"))
        .order_by("lot_id")
    )
    produced_lots = list(StockMoveLot.objects.filter(move_id=produced.pk).order_by("lot_id"))
    if not consumed_lots or not produced_lots:
        return []
    source_type = ContentType.objects.get_for_model(source)
    made = sum((row.quantity for row in produced_lots), Decimal(0))
    rows = []
    for made_row in produced_lots:
        for used in consumed_lots:
            share = (used["total"] * made_row.quantity / made).quantize(PLACES, ROUND_HALF_UP)
            if share > 0 and used["lot_id"] != made_row.lot_id:
                rows.append(
                    LotGenealogy(
                        consumed_lot_id=used["lot_id"],
                        produced_lot_id=made_row.lot_id,
                        quantity=share,
                        source_type=source_type,
                        source_id=source.pk,
                    )
                )
    return LotGenealogy.objects.bulk_create(rows)
