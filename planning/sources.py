"""Dated demand and supply: the one interface through which planning learns what is needed and what is coming.

The app that owns a document registers a source for it in its `AppConfig.ready`:

    from planning import sources
    sources.register(sources.Kind.DEMAND, "sales_orders", open_sales_demand)

A source is a callable with no arguments returning lines: `DemandLine`s for `Kind.DEMAND` (an item needed by a
date), `SupplyLine`s for `Kind.PURCHASED` (goods ordered from a supplier), `Kind.MADE` (goods being made) and
`Kind.PLANNED` (firm planned orders: the planner's, not yet a document, kept by every run). Each
line is pegged to the document behind it (`Peg`), so a plan can say which order a requirement serves. Material
requirements read every source; inventory's reorder report counts the purchased supply as on order (see `apps.py`).
Each document is registered once, under one kind, so nothing is counted twice.

Purchase terms (`register_purchase_terms`) are the other input an app owns: for a bought item, the lead time and
least order quantity of the supplier it is bought from, which planning uses instead of the item's own lead time.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import StrEnum


class Kind(StrEnum):
    DEMAND = "demand"
    PURCHASED = "purchased"  # supply on order from a supplier
    MADE = "made"  # supply being made in-house
    PLANNED = "planned"  # firm planned orders: planned supply a later run keeps (not on order)


@dataclass(frozen=True)
class Peg:
    """The document a line comes from: its model label (e.g. "production.workorder"), its id when the source knows
    it, and the number a person reads ("WO-000012", "SO-00042")."""

    document: str
    document_id: int | None
    label: str


@dataclass(frozen=True)
class DemandLine:
    item_id: int
    quantity: Decimal
    date: date  # needed by
    peg: Peg


@dataclass(frozen=True)
class SupplyLine:
    item_id: int
    quantity: Decimal
    date: date | None  # expected by; None: on its way, no date known
    peg: Peg


@dataclass(frozen=True)
class PurchaseTerms:
    """How a bought item is bought: the days from ordering to delivery and the least quantity an order takes."""

    item_id: int
    lead_time_days: int
    minimum_quantity: Decimal


Source = Callable[[], Iterable[DemandLine]] | Callable[[], Iterable[SupplyLine]]
TermsSource = Callable[[], Iterable[PurchaseTerms]]
_terms_sources: dict[str, TermsSource] = {}


def register_purchase_terms(name: str, source: TermsSource) -> None:
    """Add (or replace) a source of purchase terms called `name` (a later source wins for the same item)."""
    _terms_sources[name] = source


def unregister_purchase_terms(name: str) -> None:
    _terms_sources.pop(name, None)


def purchase_terms() -> dict[int, PurchaseTerms]:
    """The purchase terms of every bought item that has some, by item id."""
    return {terms.item_id: terms for source in _terms_sources.values() for terms in source()}


_sources: dict[Kind, dict[str, Callable[[], Iterable]]] = {kind: {} for kind in Kind}


def register(kind: Kind, name: str, source: Source) -> None:
    """Add (or replace) the source of `kind` called `name`."""
    _sources[Kind(kind)][name] = source


def unregister(kind: Kind, name: str) -> None:
    _sources[Kind(kind)].pop(name, None)


def registered(kind: Kind) -> dict[str, Callable[[], Iterable]]:
    """The sources of `kind` by name (a copy)."""
    return dict(_sources[Kind(kind)])


def demand() -> list[DemandLine]:
    """Every open demand line of every source."""
    return [line for source in registered(Kind.DEMAND).values() for line in source()]


def supply() -> list[SupplyLine]:
    """Every open supply line: purchased, made and firm planned."""
    return [
        line
        for kind in (Kind.PURCHASED, Kind.MADE, Kind.PLANNED)
        for source in registered(kind).values()
        for line in source()
    ]


def on_order_quantities(item_ids: Collection[int]) -> dict[int, Decimal]:
    """Purchased supply per item, whatever its date, for the items asked; items with nothing on order are absent."""
    totals: dict[int, Decimal] = {}
    if not item_ids:
        return totals
    wanted = set(item_ids)
    for source in registered(Kind.PURCHASED).values():
        for line in source():
            if line.item_id in wanted:
                totals[line.item_id] = totals.get(line.item_id, Decimal(0)) + Decimal(line.quantity)
    return totals
