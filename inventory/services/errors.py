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
    "MoveBelongsToDocument",
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


class MoveBelongsToDocument(InventoryError):
    """A document's move reversed bare: the document's own undo must do it, so both change together."""

    def __init__(self, message: str, *, document: object) -> None:
        super().__init__(message)
        self.document = document  # inventory.services.documents.MoveDocument: kind, label, undo, url


class ImportRefused(InventoryError):
    pass
