"""Inventory's figures in the cross-tenant ops report (fleet.report), registered from InventoryConfig.ready.

Each runs inside one tenant's schema; the registry is the tenancy core's (tenants.reports), so inventory does not
import the fleet app.
"""

from datetime import datetime

from django.db.models import Max

from inventory.models import Item, StockMove


def item_count() -> int:
    return Item.objects.count()


def stock_move_count() -> int:
    return StockMove.objects.count()


def last_stock_move() -> datetime | None:
    return StockMove.objects.aggregate(at=Max("created_at"))["at"]
