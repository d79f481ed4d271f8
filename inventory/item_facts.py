"""The item page's facts (`<dl class="facts">`), written in Python to the very HTML the template gave.

Through the template engine its two dozen lookups, method calls and filters were a third of the page's rendering
(bench/request_cost.py); here it is one function over the same values, localised and escaped as the engine does
(core.html.shown). tests/inventory/test_item_facts.py renders the former template and compares.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from urllib.parse import quote

from django.core.exceptions import ObjectDoesNotExist
from django.urls import reverse
from django.utils.safestring import SafeString, mark_safe

from core.html import shown
from inventory.models import Item, ItemUnitConversion


def _normal(value: Decimal | None) -> str:
    """`{{ value.normalize }}` (nothing for a missing value, as the engine writes an unresolved lookup)."""
    return "" if value is None else shown(value.normalize())


def _plural(count: object) -> str:
    """The `pluralize` filter's suffix for a number."""
    return "" if count == 1 else "s"


def item_facts(item: Item, conversions: Iterable[ItemUnitConversion]) -> SafeString:
    """The body of the item's facts list: kind, unit and its conversions, status, reorder figures, lead time,
    planning rule, standard cost, tracking, average cost (when valued) and custom-field values."""
    unit = item.uom
    decimals = unit.decimals
    precision = f"up to {shown(decimals)} decimal place{_plural(decimals)}" if decimals else "whole units"
    also = "".join(
        f"<dt>Also in {code}</dt><dd>1 {code} = {shown(c.factor_text)} {shown(unit.code)}</dd>"
        for c, code in ((c, shown(c.uom.code)) for c in conversions)
    )
    sizing = item.lot_sizing
    if sizing == "fixed":
        rule = f" of {_normal(item.lot_quantity)}"
    elif sizing == "min_multiple":
        rule = f" (at least {_normal(item.lot_minimum)}, by {_normal(item.lot_multiple)})"
    elif sizing == "periods":
        rule = f" ({shown(item.lot_period_days)} days)"
    else:
        rule = ""
    tracking = shown(item.get_tracking_display())
    if item.tracking != "none":
        lots = shown(reverse("inventory:lot-list"))
        tracking += f' · <a href="{lots}?q={shown(quote(item.sku, safe="/"))}">its lots</a>'
    try:
        valuation = item.valuation
    except ObjectDoesNotExist:  # the engine's `{% if item.valuation %}` reads a missing one as false
        valuation = None
    average = (
        f'<dt>Average cost</dt><dd id="average-cost">{_normal(valuation.average_cost)} ({_normal(valuation.value)} '
        f"for {_normal(valuation.quantity)} on hand)</dd>"
        if valuation
        else ""
    )
    attributes = "".join(
        f"<dt>{shown(key)}</dt><dd>{shown(value)}</dd>" for key, value in (item.attributes or {}).items()
    )
    return mark_safe(  # noqa: S308 - every value escaped by shown()
        f"\n  <dt>Kind</dt><dd>{shown(item.get_kind_display())}</dd>\n"
        f"  <dt>Unit</dt><dd>{shown(unit.code)} ({precision})</dd>\n"
        f"  {also}\n"
        f"  <dt>Status</dt><dd>{'Active' if item.is_active else 'Inactive'}</dd>\n"
        f"  <dt>Reorder point</dt><dd>{_normal(item.reorder_point)}</dd>\n"
        f"  <dt>Reorder quantity</dt><dd>{_normal(item.reorder_quantity)}</dd>\n"
        f"  <dt>Lead time</dt><dd>{shown(item.lead_time_days)} day{_plural(item.lead_time_days)}</dd>\n"
        f"  <dt>Planning</dt><dd>{shown(item.get_procurement_display())}, "
        f"{shown(item.get_lot_sizing_display().lower())}{rule}, safety stock {_normal(item.safety_stock)}, "
        f"BOM level {shown(item.low_level_code)}</dd>\n"
        f"  <dt>Standard cost</dt><dd>{_normal(item.standard_cost)}</dd>\n"
        f"  <dt>Tracking</dt><dd>{tracking}</dd>\n"
        f"  {average}\n"
        f"  {attributes}\n"
    )
