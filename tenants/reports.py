"""What each app offers the cross-tenant ops report (fleet.report): figures computed inside one tenant's schema.

The registry sits in the tenancy core, low in the import graph, so a business app registers its figures from its
`AppConfig.ready` without importing the fleet app, and the fleet report reads them without importing the business
apps (as Django's admin is told what to show instead of looking for it). A metric returns one value; an activity
source returns the time of the latest activity it knows of, and the report keeps the latest of all sources. Both run
with the connection already on the tenant's schema.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

MetricFn = Callable[[], Any]
ActivityFn = Callable[[], datetime | None]
METRICS: dict[str, MetricFn] = {}
ACTIVITY: dict[str, ActivityFn] = {}


def metric(name: str) -> Callable[[MetricFn], MetricFn]:
    """Register a figure computed inside one tenant's schema; the report shows one column per metric, in order of
    registration."""

    def register(fn: MetricFn) -> MetricFn:
        METRICS[name] = fn
        return fn

    return register


def activity(name: str) -> Callable[[ActivityFn], ActivityFn]:
    """Register a source of 'last activity' times; the report keeps the latest of all sources."""

    def register(fn: ActivityFn) -> ActivityFn:
        ACTIVITY[name] = fn
        return fn

    return register
