"""What a scanned code opens. An item's SKU first (any letter case, `selectors.item_by_sku`); then the documents
other apps register here in `AppConfig.ready` (work orders, sales and purchase orders), so inventory imports none
of them. A resolver takes the scanned text and answers the URL of its document, or None."""

from __future__ import annotations

from collections.abc import Callable

Resolver = Callable[[str], str | None]
_RESOLVERS: dict[str, Resolver] = {}


def register_scan_target(name: str, resolve: Resolver) -> None:
    _RESOLVERS[name] = resolve


def document_url(code: str) -> str | None:
    """The page of the document whose number is `code` (any letter case), or None."""
    for resolve in _RESOLVERS.values():
        url = resolve(code)
        if url is not None:
            return url
    return None
