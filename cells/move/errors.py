from core.errors import DomainError


class MoveError(DomainError):
    """A move that cannot start or go on; the message says why and what to do."""
