"""Template values written in Python, for the few hot HTML fragments written as f-strings (the item page's facts and
ledger rows, the dashboard's tables): each is the text the template engine wrote for it, and a test per fragment
renders the former template and compares."""

from __future__ import annotations

from html import escape as _escape

from django.conf import settings
from django.utils.formats import localize
from django.utils.safestring import SafeData


def shown(value: object) -> str:
    """`{{ value }}` under autoescaping, for a value that is not a date or time: localised, then escaped unless
    marked safe."""
    if type(value) is str:  # localize() gives a plain str back as it is
        return _escape(value)
    if type(value) is int and not settings.USE_THOUSAND_SEPARATOR:  # localize() writes its digits, nothing else
        return str(value)
    text = localize(value)
    return str(text) if isinstance(text, SafeData) else _escape(str(text))
