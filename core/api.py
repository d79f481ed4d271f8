"""The one place that turns domain errors into API responses (REST_FRAMEWORK["EXCEPTION_HANDLER"])."""

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import DatabaseError
from rest_framework import exceptions as drf_exceptions
from rest_framework.response import Response
from rest_framework.views import exception_handler

from core.errors import DomainError, TransientConflict
from core.retry import conflict_error, is_transient


def api_exception_handler(exc: Exception, context: dict) -> Response | None:
    if isinstance(exc, DatabaseError) and is_transient(exc):
        # Lost a deadlock inside a transaction the retry did not own (core.retry): not a server fault either.
        exc = conflict_error(exc, attempts=1)
    if isinstance(exc, TransientConflict):
        return Response(
            {"detail": exc.message}, status=exc.status_code, headers={"Retry-After": str(exc.retry_after_seconds)}
        )
    if isinstance(exc, DomainError):
        detail = {exc.field: [exc.message]} if exc.field else {"detail": exc.message}
        return Response(detail, status=400)
    if isinstance(exc, DjangoValidationError):
        exc = drf_exceptions.ValidationError(
            exc.message_dict if hasattr(exc, "error_dict") else {"detail": exc.messages}
        )
    return exception_handler(exc, context)
