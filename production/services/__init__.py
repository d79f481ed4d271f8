"""Every write of production: BOMs with their lines, and work orders through their states.

Stock is never written here: release reserves components with `inventory.services.stock_reserve`, completion
consumes them (production-consumption moves from the reservation) and receives the finished goods (a
production-output move), cancel releases what is still reserved. Each service runs in one transaction, so a
refusal anywhere leaves nothing written. Before calling inventory, a service locks every level row it will change
in primary-key order (`lock_component_levels`), so it never waits on another writer's rows in the opposite order.
"""

from production.services.boms import bom_create, bom_delete, bom_update
from production.services.costing import cost_rollup_run
from production.services.errors import (
    BomCycle,
    ComponentShortage,
    InvalidBom,
    ProductionError,
    TransitionNotAllowed,
)
from production.services.work_order_undo import work_order_uncomplete
from production.services.work_orders import (
    transition_blocker,
    work_order_cancel,
    work_order_complete,
    work_order_create,
    work_order_delete,
    work_order_release,
    work_order_start,
    work_order_update,
)

# The work-order actions of the pages and the API, by name.
TRANSITIONS = {
    "release": work_order_release,
    "start": work_order_start,
    "complete": work_order_complete,
    "cancel": work_order_cancel,
    "uncomplete": work_order_uncomplete,
}

__all__ = [
    "TRANSITIONS",
    "BomCycle",
    "ComponentShortage",
    "InvalidBom",
    "ProductionError",
    "TransitionNotAllowed",
    "bom_create",
    "bom_delete",
    "bom_update",
    "cost_rollup_run",
    "transition_blocker",
    "work_order_cancel",
    "work_order_complete",
    "work_order_create",
    "work_order_delete",
    "work_order_release",
    "work_order_start",
    "work_order_uncomplete",
    "work_order_update",
]
