"""Where the material requirements report gets its demand and supply: two registries other apps fill.

A demand source is a callable with no arguments returning `DemandLine`s (an item needed by a date); a supply source
returns `SupplyLine`s (an item arriving by a date). Production registers its own open work orders here (their
component demand, and their finished item as supply) in `ProductionConfig.ready`; the orders app registers open
sales order lines as demand and open purchase order lines as supply in its own `ready`:

    from production.mrp import DemandLine, register_demand_source
    register_demand_source("sales_orders", open_sales_demand)

Purchase supply: inventory has an undated on-order hook (`inventory.supply.on_order_quantities`). The report uses it
as supply due today unless a supply source named `purchase_orders` is registered here, so a purchase order is never
counted twice.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

PURCHASE_SUPPLY = "purchase_orders"


@dataclass(frozen=True)
class DemandLine:
    item_id: int
    quantity: Decimal
    due_date: date
    source: str  # shown in the report, e.g. "WO-000012" or "SO-42"


@dataclass(frozen=True)
class SupplyLine:
    item_id: int
    quantity: Decimal
    due_date: date | None  # None: already on its way, no date known
    source: str


DemandSource = Callable[[], Iterable[DemandLine]]
SupplySource = Callable[[], Iterable[SupplyLine]]

_demand_sources: dict[str, DemandSource] = {}
_supply_sources: dict[str, SupplySource] = {}


def register_demand_source(name: str, source: DemandSource) -> None:
    """Add (or replace) the demand source called `name`."""
    _demand_sources[name] = source


def unregister_demand_source(name: str) -> None:
    _demand_sources.pop(name, None)


def register_supply_source(name: str, source: SupplySource) -> None:
    """Add (or replace) the supply source called `name`."""
    _supply_sources[name] = source


def unregister_supply_source(name: str) -> None:
    _supply_sources.pop(name, None)


def demand_sources() -> dict[str, DemandSource]:
    return dict(_demand_sources)


def supply_sources() -> dict[str, SupplySource]:
    return dict(_supply_sources)
