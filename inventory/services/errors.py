"""What inventory's rules say when they refuse: each a DomainError with a message a person can act on."""

from core.errors import DomainError, InvalidQuantity

__all__ = [
    "ImportRefused",
    "InactiveItem",
    "InactiveLocation",
    "InsufficientStock",
    "InvalidMove",
    "InvalidQuantity",
    "InventoryError",
    "MoveAlreadyReversed",
    "UnknownLocation",
]


class InventoryError(DomainError):
    pass


class InsufficientStock(InventoryError):
    pass


class InactiveItem(InventoryError):
    pass


class UnknownLocation(InventoryError):
    pass


class InactiveLocation(InventoryError):
    pass


class InvalidMove(InventoryError):
    pass


class MoveAlreadyReversed(InventoryError):
    pass


class ImportRefused(InventoryError):
    pass
