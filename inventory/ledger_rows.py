"""The item page's ledger rows, written in Python to the very HTML the template loop gave.

Through the template engine a page of 25 moves cost some 450 variable lookups, 50 date filters and 75 number
localisations: most of the item page's server time (bench/request_cost.py). Here each row is one f-string over the
same values, escaped and localised as the engine does (`django.utils.formats.localize`, the date filter's formats on
the local time, html escaping); tests/inventory/test_ledger_rows.py renders the former template loop and compares.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from html import escape as _escape

from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe

from core.html import shown as _e
from inventory.models import StockMove


def _when(moment: datetime.datetime) -> str:
    """`{{ moment|date:'c' }}` and `{{ moment|date:"Y-m-d H:i" }}` in the time element, in the current time zone."""
    local = timezone.localtime(moment)
    shown = f"{local.year:04d}-{local.month:02d}-{local.day:02d} {local.hour:02d}:{local.minute:02d}"
    return f'<time datetime="{_escape(local.isoformat())}">{shown}</time>'


def ledger_rows(moves: Iterable[StockMove], *, can_stock: bool) -> SafeString:
    """The <tr> of each move (with the whitespace the template's loop put around them); each move carries
    `is_reversed` (selectors.item_moves), `document` (services.move_documents) and `reverse_url`, as the view sets."""
    parts = []
    for move in moves:
        reason = _e(move.get_reason_display())
        if move.reverses_id:
            reason += f" (reverses #{_e(move.reverses_id)})"
        source = move.from_location.code if move.from_location is not None else ""
        target = move.to_location.code if move.to_location is not None else ""
        who = move.created_by.get_username() if move.created_by is not None else ""
        parts.append(
            f"\n  <tr>\n    <td>{_e(move.pk)}</td>\n"
            f"    <td>{_when(move.created_at)}</td>\n"
            f"    <td>{reason}</td>\n"
            f'    <td class="num">{_e(move.quantity.normalize())}</td>\n'
            f"    <td>{_e(source or 'outside')}</td>\n"
            f"    <td>{_e(target or 'outside')}</td>\n"
            f"    <td>{_e(move.reference)}</td>\n"
            f"    <td>{_e(who or 'system')}</td>\n"
            f"    <td>{_correction(move, can_stock)}</td>\n  </tr>\n  "
        )
    return mark_safe("".join(parts))  # noqa: S308 - every value above is escaped


def _correction(move: StockMove, can_stock: bool) -> str:
    """Reversed, undone by its document, or a link to reverse it."""
    if move.is_reversed:  # type: ignore[attr-defined]
        return "reversed"
    document = getattr(move, "document", None)
    if document:
        label = _e(document.label)
        if document.url:
            label = f'<a href="{_e(document.url)}" title="Undo with {_e(document.undo)}">{label}</a>'
        return f"{label}\n      <small>(undo: {_e(document.undo)})</small>"
    if not move.reverses_id and can_stock:
        return f'\n      <a href="{_e(move.reverse_url)}" aria-label="Reverse move {_e(move.pk)}">Reverse…</a>'  # type: ignore[attr-defined]
    return ""
