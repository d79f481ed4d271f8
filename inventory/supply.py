"""Where on-order quantities come from: a registry of supply sources that other apps fill.

A supply source is a callable taking a collection of item ids and returning {item_id: quantity on order} for the
items it knows of. The orders app registers its purchase orders here (in its AppConfig.ready); inventory imports
no other app. With no source registered, nothing is on order.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from decimal import Decimal

SupplySource = Callable[[Collection[int]], dict[int, Decimal]]

_sources: dict[str, SupplySource] = {}


def register_supply_source(name: str, source: SupplySource) -> None:
    """Add (or replace) the supply source called `name`."""
    _sources[name] = source


def unregister_supply_source(name: str) -> None:
    _sources.pop(name, None)


def on_order_quantities(item_ids: Collection[int]) -> dict[int, Decimal]:
    """Quantity on order per item, summed over every registered source; items with nothing on order are absent."""
    totals: dict[int, Decimal] = {}
    if not item_ids:
        return totals
    for source in list(_sources.values()):
        for item_id, quantity in source(item_ids).items():
            totals[item_id] = totals.get(item_id, Decimal(0)) + Decimal(quantity)
    return totals
