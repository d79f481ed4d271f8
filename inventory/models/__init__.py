"""Items, locations and the stock ledger of one tenant.

`StockMove` is the ledger: rows are only ever inserted (the ORM refuses updates and deletes, and a trigger in the
database refuses them too). `StockLevel` is the running balance per (item, location), changed only by the services
in the same transaction as the move that explains the change.

A package by concern (master data, the ledger, valuation, lots and serials, imports); everything is importable from
`inventory.models` as before.
"""

from inventory.models.imports import (
    ItemImport,
)
from inventory.models.ledger import (
    ImmutableMoveError,
    ReservationEntry,
    StockLevel,
    StockMove,
    StockMoveQuerySet,
)
from inventory.models.lots import (
    Lot,
    LotGenealogy,
    LotLevel,
    StockMoveLot,
    StockMoveLotQuerySet,
)
from inventory.models.master import (
    CONVERSION_FACTOR,
    ZERO,
    Item,
    ItemUnitConversion,
    Location,
    UnitOfMeasure,
)
from inventory.models.valuation import (
    ItemValuation,
    ValuationEntry,
)

__all__ = [
    "CONVERSION_FACTOR",
    "ZERO",
    "ImmutableMoveError",
    "Item",
    "ItemImport",
    "ItemUnitConversion",
    "ItemValuation",
    "Location",
    "Lot",
    "LotGenealogy",
    "LotLevel",
    "ReservationEntry",
    "StockLevel",
    "StockMove",
    "StockMoveLot",
    "StockMoveLotQuerySet",
    "StockMoveQuerySet",
    "UnitOfMeasure",
    "ValuationEntry",
]
