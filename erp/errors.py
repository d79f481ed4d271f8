"""Domain errors and the one place that turns them into API responses.

Services raise `DomainError` (or a subclass) with a message a person can act on. The API turns it into a 400,
forms show it as a form error, management commands print it as one line and exit non-zero.
"""

from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import exceptions as drf_exceptions
from rest_framework.response import Response
from rest_framework.views import exception_handler


class DomainError(Exception):
    """A business rule refused the operation; nothing was written."""

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


def api_exception_handler(exc: Exception, context: dict) -> Response | None:
    if isinstance(exc, DomainError):
        detail = {exc.field: [exc.message]} if exc.field else {"detail": exc.message}
        return Response(detail, status=400)
    if isinstance(exc, DjangoValidationError):
        exc = drf_exceptions.ValidationError(
            exc.message_dict if hasattr(exc, "error_dict") else {"detail": exc.messages}
        )
    return exception_handler(exc, context)
