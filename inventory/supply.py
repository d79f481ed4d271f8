"""What the reorder report counts as on order: one provider, installed by the planning app.

Planning owns supply and demand (`planning.sources`), and inventory imports no app above it, so planning hands its
purchased-supply total down here in its `AppConfig.ready`. Without a provider, nothing is on order.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from decimal import Decimal

OnOrderProvider = Callable[[Collection[int]], dict[int, Decimal]]

_provider: OnOrderProvider | None = None


def set_on_order_provider(provider: OnOrderProvider | None) -> None:
    global _provider
    _provider = provider


def on_order_quantities(item_ids: Collection[int]) -> dict[int, Decimal]:
    """Quantity on order per item; items with nothing on order are absent."""
    if not item_ids or _provider is None:
        return {}
    return _provider(item_ids)
