"""Domain errors of production: each says what was refused and what to do instead."""

from __future__ import annotations

from decimal import Decimal

from core.errors import DomainError


class ProductionError(DomainError):
    pass


class InvalidBom(ProductionError):
    pass


class BomCycle(InvalidBom):
    pass


class TransitionNotAllowed(ProductionError):
    pass


class ComponentShortage(ProductionError):
    def __init__(self, message: str, *, shortages: list[tuple[str, Decimal, Decimal]]) -> None:
        super().__init__(message, field="components")
        self.shortages = shortages
