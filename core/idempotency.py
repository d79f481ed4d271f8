"""Safe retries of every API write: a POST with an `Idempotency-Key` header runs once; a retry gets the first response.

One mechanism for the whole API: `IdempotentPostMixin` sits in every API base class of `core.api`, so any POST (a
create or an `@action`) of any viewset or view built on them honours the key without declaring anything, and
`core.api.AutoSchema` declares the header and the 422 on each such operation of the OpenAPI schema.

- Scope: per tenant (the records live in the tenant schema) and per user: the stored key is the user's id and the
  client's key, so another user sending the same key runs their own request and never sees the first user's answer.
- Claim: INSERT ... ON CONFLICT DO NOTHING in the same transaction as the write. A concurrent request with the same
  key waits on the unique index until the first commits (and then replays its response) or rolls back (and then
  runs itself). A write that raises (a 400 for bad input or a refused transition, a 5xx) rolls its claim back with
  it, so the client can fix the request and retry with the same key; a response of 400 or more that a view returns
  instead of raising is not kept either. Only successes are kept.
- Replay: the first response's rendered bytes, status and content type, byte for byte, with `Idempotent-Replayed`.
- Fingerprint: method, path and parsed body. The same key with a different request is refused with 422.

The records live in the model named by settings.IDEMPOTENCY_RECORD_MODEL ("app_label.Model", like AUTH_USER_MODEL),
so core imports no business app.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from typing import Any

from django.apps import apps
from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, models, transaction
from django.http import HttpResponse, HttpResponseBase
from django.utils import timezone
from rest_framework import exceptions, status
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request

from core.retry import retry_on_conflict

HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
MAX_KEY_LENGTH = 255
DESCRIPTION = (
    "Any unique string of at most 255 characters (a UUID, say), per user. A retry with the same key and the same "
    "body runs nothing and returns the first response byte for byte, with the header `Idempotent-Replayed: true`. "
    "The same key with another method, path or body is refused with 422. A request answered with an error (4xx, "
    "5xx) keeps no record: fix it and retry with the same key. Keys are forgotten after a few days."
)


class IdempotencyKeyReused(exceptions.APIException):
    status_code = status.HTTP_422_UNPROCESSABLE_ENTITY
    default_code = "idempotency_key_reused"


def record_model() -> type[models.Model]:
    """The model keeping first responses: key (unique), fingerprint, response_status, response_content,
    response_content_type, created_at."""
    return apps.get_model(settings.IDEMPOTENCY_RECORD_MODEL)


def scoped_key(user_id: int | None, key: str) -> str:
    """The key as stored: the client's key in the namespace of the user who sent it ("-" for no user)."""
    return f"{user_id or '-'}:{key}"


def fingerprint(method: str, path: str, body: Any) -> str:
    """What a retry repeats: the method, the path with its query string, and the parsed body (so the JSON's spacing
    and key order do not matter)."""
    text = json.dumps({"method": method, "path": path, "body": body}, sort_keys=True, cls=DjangoJSONEncoder)
    return hashlib.sha256(text.encode()).hexdigest()


def request_fingerprint(request: Request) -> str:
    data = request.data
    body = {key: data.getlist(key) for key in data} if hasattr(data, "getlist") else data
    return fingerprint(request.method or "", request.get_full_path(), body)


def _table() -> str:
    return connection.ops.quote_name(record_model()._meta.db_table)


def _claim(key: str, request_print: str) -> bool:
    with connection.cursor() as cursor:
        cursor.execute(
            f'INSERT INTO {_table()} ("key", "fingerprint", "created_at") VALUES (%s, %s, %s) '
            'ON CONFLICT ("key") DO NOTHING RETURNING "id"',
            [key, request_print, timezone.now()],
        )
        return cursor.fetchone() is not None


def _replay(record: Any) -> HttpResponse:
    if record.response_content is None:  # kept by the release that stored the parsed body: render it again
        content, content_type = JSONRenderer().render(record.response_body), "application/json"
    else:
        content, content_type = bytes(record.response_content), record.response_content_type
    response = HttpResponse(content, status=record.response_status, content_type=content_type)
    response[REPLAYED_HEADER] = "true"
    return response


@retry_on_conflict  # the claim's transaction is the outermost one: a deadlock in `run` reruns it all
def run_once(request: Request, run: Callable[[], HttpResponseBase]) -> HttpResponseBase:
    """Run `run` (which answers with a rendered response) unless this request's Idempotency-Key was seen; then
    replay the stored response."""
    key = request.headers.get(HEADER)
    if key is None:
        return run()
    key = key.strip()
    if not key or len(key) > MAX_KEY_LENGTH:
        raise exceptions.ValidationError({HEADER: [f"send a non-empty key of at most {MAX_KEY_LENGTH} characters"]})
    request_print, stored_key = request_fingerprint(request), scoped_key(request.user.pk, key)
    records = record_model()._default_manager
    with transaction.atomic():
        if not _claim(stored_key, request_print):
            record: Any = records.get(key=stored_key)
            if record.fingerprint != request_print:
                raise IdempotencyKeyReused(
                    f"{HEADER} {key!r} was already used for a different request; "
                    "send the original request unchanged to retry it, or use a new key for a new request"
                )
            return _replay(record)
        response = run()
        if response.status_code >= 400 or not isinstance(response, HttpResponse):
            records.filter(key=stored_key).delete()  # an error (or a stream) is not kept: fix it and retry
        else:
            records.filter(key=stored_key).update(
                response_status=response.status_code,
                response_content=response.content,
                response_content_type=response.get("Content-Type", ""),
            )
    return response


class IdempotentPostMixin:
    """For an API view or viewset (every base of core.api has it): each POST honours the Idempotency-Key header.

    The handler is wrapped after `initial()`, so an unauthenticated, forbidden or throttled request claims no key,
    and the response is rendered inside the claim's transaction, so the stored bytes are the bytes sent.
    A POST whose response must not be kept (it holds a secret shown once) is exempted by overriding
    `honours_idempotency_key`; the schema then does not offer the header for it.
    """

    def honours_idempotency_key(self) -> bool:
        return True

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        super().initial(request, *args, **kwargs)  # type: ignore[misc]
        if request.method != "POST" or HEADER not in request.headers or not self.honours_idempotency_key():
            return
        handler = getattr(self, "post", None)
        if handler is None:
            return

        def rendered() -> HttpResponseBase:
            response = self.finalize_response(request, handler(request, *args, **kwargs), *args, **kwargs)  # type: ignore[attr-defined]
            if hasattr(response, "render"):
                response.render()
            return response

        # APIView.dispatch looks the handler up right after initial(): it finds this one.
        self.post = lambda request, *args, **kwargs: run_once(request, rendered)
