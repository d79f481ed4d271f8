"""Every write to inventory: items, locations, units and conversions, stock moves, reservations, CSV imports; one
module per concern.

A stock move is one statement: the database function `inventory_post_move` (inventory/sql/) creates a missing
destination level row (INSERT ... ON CONFLICT DO NOTHING, before any lock is taken), locks the level rows it touches
with SELECT ... FOR UPDATE in primary-key order, checks the rule under the lock, inserts the move and updates the
levels, or refuses having written nothing. Two transactions therefore never deadlock on levels and never lose an
update; the database CHECKs (on hand >= 0, 0 <= reserved <= on hand) stand behind the checks done there.
Reservations and counts lock their one level row, check in Python and write in one more statement. The lock
order every stock writer (here, in orders and in production) keeps is written down in `inventory.services.locking`.

Other apps import from here (`from inventory.services import stock_issue`), not from the modules.
"""

from core.numbers import MAX_QUANTITY, QUANTITY_PLACES, parse_quantity
from inventory.services.documents import (
    MoveDocument,
    move_document,
    move_documents,
    register_document_undo,
)
from inventory.services.errors import (
    ImportRefused,
    InactiveItem,
    InactiveLocation,
    InsufficientStock,
    InvalidMove,
    InvalidQuantity,
    InventoryError,
    MoveAlreadyReversed,
    MoveBelongsToDocument,
    UnknownLocation,
)
from inventory.services.imports import (
    ATTRIBUTE_PREFIX,
    IMPORT_COLUMNS,
    MAX_IMPORT_BYTES,
    item_import_create,
    item_import_run,
)
from inventory.services.locking import hold_items, lock_levels
from inventory.services.lots import (
    LotEntry,
    LotsInput,
    lot_genealogy_record,
    parse_lots,
)
from inventory.services.master_data import (
    item_create,
    item_delete,
    item_update,
    location_create,
    location_delete,
    location_update,
    unit_create,
    unit_delete,
    unit_update,
)
from inventory.services.moves import (
    stock_adjust,
    stock_issue,
    stock_move_post,
    stock_move_reverse,
    stock_receive,
    stock_transfer,
)
from inventory.services.reservations import (
    stock_reserve,
    stock_unreserve,
)
from inventory.services.units import (
    check_item_quantity,
    check_precision,
    conversion_create,
    conversion_delete,
    conversion_factor,
    conversion_update,
    from_stock_quantity,
    precision_error,
    to_stock_quantity,
)
from inventory.services.valuation import item_standard_costs_set, valuation_lock

__all__ = [
    "ATTRIBUTE_PREFIX",
    "IMPORT_COLUMNS",
    "MAX_IMPORT_BYTES",
    "MAX_QUANTITY",
    "QUANTITY_PLACES",
    "ImportRefused",
    "InactiveItem",
    "InactiveLocation",
    "InsufficientStock",
    "InvalidMove",
    "InvalidQuantity",
    "InventoryError",
    "LotEntry",
    "LotsInput",
    "MoveAlreadyReversed",
    "MoveBelongsToDocument",
    "MoveDocument",
    "UnknownLocation",
    "check_item_quantity",
    "check_precision",
    "conversion_create",
    "conversion_delete",
    "conversion_factor",
    "conversion_update",
    "from_stock_quantity",
    "hold_items",
    "item_create",
    "item_delete",
    "item_import_create",
    "item_import_run",
    "item_standard_costs_set",
    "item_update",
    "location_create",
    "location_delete",
    "location_update",
    "lock_levels",
    "lot_genealogy_record",
    "move_document",
    "move_documents",
    "parse_lots",
    "parse_quantity",
    "precision_error",
    "register_document_undo",
    "stock_adjust",
    "stock_issue",
    "stock_move_post",
    "stock_move_reverse",
    "stock_receive",
    "stock_reserve",
    "stock_transfer",
    "stock_unreserve",
    "to_stock_quantity",
    "unit_create",
    "unit_delete",
    "unit_update",
    "valuation_lock",
]
