"""The material requirements engine: time-phased MRP as the textbooks define it.

Per item, per day: gross requirements, scheduled receipts, projected on hand, net requirements and planned order
receipts and releases (lead-time offset), every item planned once, at its lowest level (parents before their
components), in one pass. `load` reads what a plan needs with a constant number of queries (the registered
`planning.sources`, then items, active BOM lines and stock levels once each); `plan` is a pure function of it.
`mrp_report` keeps the one-line-per-item summary of the plan (the API's `/mrp/`).
"""

from __future__ import annotations

import contextlib
import gc
from collections.abc import Iterator
from datetime import date

from django.utils import timezone

from planning.engine.data import (
    MADE,
    PLACES,
    SAFETY_STOCK,
    ZERO,
    ItemData,
    PlanningData,
    days_before,
    load,
)
from planning.engine.netting import lot_size, plan
from planning.engine.results import (
    Bucket,
    ItemPlan,
    MrpException,
    MrpLine,
    MrpPlan,
    PegLine,
    PlannedOrder,
    ScheduledReceipt,
    summary,
    weekly,
)

__all__ = [
    "MADE",
    "PLACES",
    "SAFETY_STOCK",
    "ZERO",
    "Bucket",
    "ItemData",
    "ItemPlan",
    "MrpException",
    "MrpLine",
    "MrpPlan",
    "PegLine",
    "PlannedOrder",
    "PlanningData",
    "ScheduledReceipt",
    "days_before",
    "load",
    "lot_size",
    "mrp_plan",
    "mrp_report",
    "plan",
    "summary",
    "weekly",
]


# --- Entry points ---------------------------------------------------------------------------------------------------
def mrp_plan(
    *, today: date | None = None, horizon_days: int | None = None, data: PlanningData | None = None
) -> MrpPlan:
    """Today's time-phased plan from the database (a constant number of queries), or from `data` already loaded."""
    with _cyclic_gc_paused():
        return plan(
            data if data is not None else load(), today=today or timezone.localdate(), horizon_days=horizon_days
        )


@contextlib.contextmanager
def _cyclic_gc_paused() -> Iterator[None]:
    """A plan allocates about a million small objects (rows, buckets, pegs) and none of them form a cycle, yet each
    allocation burst makes the cyclic collector walk every object alive, the whole plan so far included: at 10,000
    items that was half the run (bench/mrp.py). Reference counting still frees everything; the collector catches
    up when the run ends. Process-wide, so a concurrent request in the same process merely defers its collections."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def mrp_report(*, today: date | None = None, horizon_days: int | None = None) -> list[MrpLine]:
    """The plan summed up per item (see `summary`)."""
    return summary(mrp_plan(today=today, horizon_days=horizon_days))
