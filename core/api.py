"""What the whole API shares: the one place that turns domain errors into API responses
(REST_FRAMEWORK["EXCEPTION_HANDLER"]), the view bases every API view derives from, and the schema class."""

from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import DatabaseError
from drf_spectacular import openapi
from drf_spectacular.utils import OpenApiParameter
from rest_framework import exceptions as drf_exceptions
from rest_framework import views, viewsets
from rest_framework.response import Response
from rest_framework.views import exception_handler

from core.errors import DomainError, TransientConflict
from core.idempotency import DESCRIPTION, HEADER, IdempotentPostMixin
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


# --- API bases: every API view and viewset of the project derives from one of these --------------------------------
# Each carries what the whole API shares; today that is `Idempotency-Key` on every POST (core.idempotency).
# tests/core/test_api_idempotency.py walks every POST route and fails on one that does not honour the key.


class APIView(IdempotentPostMixin, views.APIView):
    pass


class GenericViewSet(IdempotentPostMixin, viewsets.GenericViewSet):
    pass


class ReadOnlyModelViewSet(IdempotentPostMixin, viewsets.ReadOnlyModelViewSet):
    pass


class ModelViewSet(IdempotentPostMixin, viewsets.ModelViewSet):
    pass


class AutoSchema(openapi.AutoSchema):
    """The schema class of the whole API (REST_FRAMEWORK["DEFAULT_SCHEMA_CLASS"]): declares the Idempotency-Key
    header and its 422 on each POST operation of a view that honours the key."""

    def _honours_idempotency_key(self) -> bool:
        return (
            self.method == "POST" and isinstance(self.view, IdempotentPostMixin) and self.view.honours_idempotency_key()
        )

    def get_override_parameters(self) -> list:
        parameters = list(super().get_override_parameters())
        if self._honours_idempotency_key():
            parameters.append(
                OpenApiParameter(HEADER, type=str, location=OpenApiParameter.HEADER, description=DESCRIPTION)
            )
        return parameters

    def get_operation(self, *args: Any, **kwargs: Any) -> dict | None:
        operation = super().get_operation(*args, **kwargs)
        if operation is not None and self._honours_idempotency_key():
            operation["responses"].setdefault(
                "422",
                {
                    "description": f"The {HEADER} was already used by this user for a different request.",
                    "content": {
                        "application/json": {"schema": {"type": "object", "properties": {"detail": {"type": "string"}}}}
                    },
                },
            )
        return operation
