"""Safe retries of API creates: a POST with an `Idempotency-Key` header runs once; a retry gets the first response.

The key is claimed with INSERT ... ON CONFLICT DO NOTHING in the same transaction as the create. A concurrent
request with the same key waits on the unique index until the first commits (and then replays its response) or
rolls back (and then runs itself). A create that fails rolls its claim back with it, so the key stays usable.
The same key with a different request (method, path, user or body) is refused with 422.

API-wide: any viewset takes `IdempotentCreateMixin`. The records live in the tenant schema, in the model named by
settings.IDEMPOTENCY_RECORD_MODEL ("app_label.Model", like AUTH_USER_MODEL), so core imports no business app.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable

from django.apps import apps
from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, models, transaction
from django.utils import timezone
from rest_framework import exceptions, status
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response

from core.retry import retry_on_conflict

HEADER = "Idempotency-Key"
MAX_KEY_LENGTH = 255


class IdempotencyKeyReused(exceptions.APIException):
    status_code = status.HTTP_422_UNPROCESSABLE_ENTITY
    default_code = "idempotency_key_reused"


def record_model() -> type[models.Model]:
    """The model keeping first responses: key (unique), fingerprint, response_status, response_body, created_at."""
    return apps.get_model(settings.IDEMPOTENCY_RECORD_MODEL)


def request_fingerprint(request: Request) -> str:
    data = request.data
    body = {key: data.getlist(key) for key in data} if hasattr(data, "getlist") else data
    payload = {"method": request.method, "path": request.path, "user": request.user.pk, "body": body}
    text = json.dumps(payload, sort_keys=True, cls=DjangoJSONEncoder)
    return hashlib.sha256(text.encode()).hexdigest()


def _claim(key: str, fingerprint: str) -> bool:
    table = connection.ops.quote_name(record_model()._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f'INSERT INTO {table} ("key", "fingerprint", "created_at") VALUES (%s, %s, %s) '
            'ON CONFLICT ("key") DO NOTHING RETURNING "id"',
            [key, fingerprint, timezone.now()],
        )
        return cursor.fetchone() is not None


@retry_on_conflict  # the claim's transaction is the outermost one: a deadlock in `create` reruns it all
def run_once(request: Request, create: Callable[[], Response]) -> Response:
    """Run `create` unless this request's Idempotency-Key was seen; then replay the stored response."""
    key = request.headers.get(HEADER)
    if key is None:
        return create()
    key = key.strip()
    if not key or len(key) > MAX_KEY_LENGTH:
        raise exceptions.ValidationError({HEADER: [f"send a non-empty key of at most {MAX_KEY_LENGTH} characters"]})
    fingerprint = request_fingerprint(request)
    with transaction.atomic():
        if not _claim(key, fingerprint):
            record = record_model()._default_manager.get(key=key)
            if record.fingerprint != fingerprint:
                raise IdempotencyKeyReused(
                    f"{HEADER} {key!r} was already used for a different request; "
                    "send the original request unchanged to retry it, or use a new key for a new request"
                )
            return Response(
                record.response_body, status=record.response_status, headers={"Idempotent-Replayed": "true"}
            )
        response = create()
        body = json.loads(JSONRenderer().render(response.data))
        record_model()._default_manager.filter(key=key).update(response_status=response.status_code, response_body=body)
    return response


class IdempotentCreateMixin:
    """For a viewset: `create` honours the Idempotency-Key header."""

    def create(self, request: Request, *args, **kwargs) -> Response:
        return run_once(request, lambda: super(IdempotentCreateMixin, self).create(request, *args, **kwargs))
