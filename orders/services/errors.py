"""The orders' domain errors: each says what a person can do about it."""

from __future__ import annotations

from django.db.models import Model

from core.errors import DomainError


class OrderError(DomainError):
    pass


class InvalidTransition(OrderError):
    pass


class InvalidOrderLine(OrderError):
    pass


class OverShipment(OrderError):
    pass


class OverReceipt(OrderError):
    pass


def on_line(exc: DomainError, line: Model) -> DomainError:
    """Mark a domain error with the order line it is about, so a form can show it next to that line."""
    exc.line_id = line.pk  # type: ignore[attr-defined]
    return exc
