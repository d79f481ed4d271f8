"""Domain errors: what a business rule says when it refuses an operation. No DRF here.

Services raise `DomainError` (or a subclass) with a message a person can act on. The API turns it into a 400
(`core.api.api_exception_handler`), forms show it as a form error (`core.forms.ServiceForm`), management commands
print it as one line and exit non-zero.
"""


class DomainError(Exception):
    """A business rule refused the operation; nothing was written."""

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class InvalidQuantity(DomainError):
    """A quantity or amount that is not a plain number in range (`core.numbers.parse_quantity`)."""


class TransientConflict(DomainError):
    """The database kept aborting the operation for concurrent writers (deadlock, serialization failure) past the
    retry bound (`core.retry`); nothing was written and the same request may simply be sent again. The API answers
    503 with Retry-After, not 400: the request itself was fine."""

    status_code = 503
    retry_after_seconds = 1
