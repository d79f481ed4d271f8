"""Bounded work per web request: body size, JSON shape, NUL characters, and a statement timeout.

`RequestLimitsMiddleware`, first in MIDDLEWARE, refuses before anything else reads the request:
- a body larger than allowed (Content-Length over DATA_UPLOAD_MAX_MEMORY_SIZE, or REQUEST_MAX_UPLOAD_BYTES for
  multipart uploads): 413, instead of Django's bare 400 logged as an error once something reads the body;
- a NUL character (or an unpaired surrogate) in the path, the query string or a form field, name or file name:
  400. PostgreSQL cannot store either, so they used to come back as a 500 from the first query that used them.
JSON bodies of the API are checked by `BoundedJSONParser` (DRF's default parser here): deeper than JSON_MAX_DEPTH is
a 400 (a deep enough one used to be a RecursionError, a 500 for anyone, even anonymous), and so is a NUL character or
an unpaired surrogate in any string or key.

The middleware also gives every web request a PostgreSQL `statement_timeout` (DB_STATEMENT_TIMEOUT_MS; 0: none):
it rides on the tenant context the database backend sends (erp.db_backend), set per session or per transaction as
DATABASE_POOL_MODE says, and is lifted when the response is closed. Management commands, migrations and Celery tasks
run without it. A statement it cancels is a 503 with Retry-After (JSON on /api/, a page elsewhere) and one log line
naming the tenant. API answers are `{"detail": ...}` JSON like DRF's; pages use templates/request_refused.html.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Callable

from django.conf import settings
from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent
from django.core.signals import request_finished
from django.db import OperationalError, connection
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.http.multipartparser import MultiPartParserError
from django.template.loader import render_to_string
from psycopg.errors import QueryCanceled
from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser

logger = logging.getLogger(__name__)

API_PREFIX = "/api/"
JSON_MAX_DEPTH = 32
RETRY_AFTER_SECONDS = 10
DEFAULT_MAX_UPLOAD_BYTES = 10 * 1024 * 1024
# Characters PostgreSQL text cannot hold: NUL, and UTF-16 surrogates (only reachable through JSON's \\udXXX escapes).
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")
_FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


class _TimeoutsBefore(threading.local):
    def __init__(self) -> None:
        self.stack: list[int | None] = []


_timeouts_before = _TimeoutsBefore()


@receiver(request_finished, dispatch_uid="erp.http_limits.restore_statement_timeout")
def _restore_statement_timeout(**kwargs) -> None:
    if _timeouts_before.stack:
        connection.statement_timeout_ms = _timeouts_before.stack.pop()


def unstorable_message(text: str, *, where: str) -> str:
    found = _UNSTORABLE.search(text).group()
    what = "a NUL character (\\u0000)" if found == "\x00" else f"an unpaired surrogate (\\u{ord(found):04x})"
    return f"{where} contains {what}, which cannot be stored; remove it"


def is_statement_timeout(exc: BaseException) -> bool:
    return isinstance(exc, OperationalError) and isinstance(exc.__cause__, QueryCanceled)


class RequestLimitsMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        # Restored when the response is closed (request_finished), after Django has logged it and after a streaming
        # body was sent; nothing is sent to PostgreSQL for either: the next statement carries the change.
        # (A backend without statement_timeout_ms, e.g. the benchmarks' no-tenancy baseline, just ignores it.)
        _timeouts_before.stack.append(getattr(connection, "statement_timeout_ms", None))
        connection.statement_timeout_ms = getattr(settings, "DB_STATEMENT_TIMEOUT_MS", None) or None
        refusal = self._refusal(request)
        if refusal is not None:
            return refusal
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not is_statement_timeout(exception):
            return None
        tenant = getattr(request, "tenant", None)
        logger.error(
            "statement timeout (%s ms) for tenant %s: %s %s: %s",
            getattr(connection, "statement_timeout_ms", None),
            getattr(tenant, "schema_name", "?"),
            request.method,
            request.path,
            str(exception).strip().splitlines()[0] if str(exception).strip() else "canceled",
        )
        response = _answer(
            request,
            503,
            "The database took too long to answer this request, so it was stopped. "
            "Try again in a moment, or ask for less at once (a smaller page, a narrower filter).",
            title="Taking too long",
        )
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)
        response._has_been_logged = True  # the line above names the tenant and the timeout; no second one
        return response

    def _refusal(self, request: HttpRequest) -> HttpResponse | None:
        content_type = request.content_type or ""
        limit = (
            getattr(settings, "REQUEST_MAX_UPLOAD_BYTES", DEFAULT_MAX_UPLOAD_BYTES)
            if content_type == "multipart/form-data"
            else settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        )
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if limit is not None and length > limit:
            return _too_large(request, length, limit)
        if _UNSTORABLE.search(request.path_info):
            return _answer(request, 400, unstorable_message(request.path_info, where="The address"))
        query = request.META.get("QUERY_STRING", "")
        if "%00" in query or "\x00" in query:  # exact: percent-decoding makes a NUL of nothing else
            return _answer(request, 400, unstorable_message("\x00", where="The query string"))
        if content_type in _FORM_TYPES:
            return self._form_refusal(request, content_type, limit)
        return None

    def _form_refusal(self, request: HttpRequest, content_type: str, limit: int | None) -> HttpResponse | None:
        try:
            if content_type == "application/x-www-form-urlencoded":
                body = request.body
                if b"%00" in body or b"\x00" in body:
                    return _answer(request, 400, unstorable_message("\x00", where="The form"))
                if request.method == "POST":
                    request.POST  # noqa: B018 - parsed here (CSRF would next) so too many fields is a clean 400
                return None
            if request.method != "POST":  # Django parses multipart for POST only; DRF's parser handles the rest
                return None
            text = _text(request.POST) + "".join(
                name + "".join(upload.name or "" for upload in uploads) for name, uploads in request.FILES.lists()
            )
        except RequestDataTooBig:
            return _too_large(request, None, limit)
        except (TooManyFieldsSent, TooManyFilesSent) as exc:
            return _answer(request, 400, f"The form has too many fields or files: {exc}")
        except MultiPartParserError as exc:
            return _answer(request, 400, f"The form data could not be read: {exc}")
        if _UNSTORABLE.search(text):
            return _answer(request, 400, unstorable_message(text, where="The form"))
        return None


def _text(data) -> str:
    """Every key and value of a QueryDict, as one string to search."""
    return "".join(key + "".join(values) for key, values in data.lists())


def _too_large(request: HttpRequest, length: int | None, limit: int) -> HttpResponse:
    size = f"{length:,} bytes" if length is not None else "larger than allowed"
    return _answer(
        request,
        413,
        f"The request body is {size}; at most {limit:,} bytes are accepted here. Send less at once.",
        title="Request too large",
    )


def _answer(request: HttpRequest, status: int, message: str, *, title: str = "Request refused") -> HttpResponse:
    if request.path.startswith(API_PREFIX):
        return JsonResponse({"detail": message}, status=status)
    page = render_to_string("request_refused.html", {"title": title, "message": message})
    return HttpResponse(page, status=status)


class BoundedJSONParser(JSONParser):
    """DRF's JSON parser, refusing with a 400 (ParseError) what the rest of the stack cannot handle: nesting deeper
    than JSON_MAX_DEPTH, and a NUL character or unpaired surrogate in any string or key."""

    def parse(self, stream, media_type=None, parser_context=None):
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise ParseError(f"JSON parse error - nested deeper than {JSON_MAX_DEPTH} levels") from None
        _check_json(data)
        return data


def _check_json(data: object) -> None:
    """Walks the parsed document without recursion: depth of containers, and every string and key."""
    stack = [(data, 1)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, dict):
            items = value.items()
        elif isinstance(value, list):
            items = ((None, item) for item in value)
        else:
            if isinstance(value, str) and _UNSTORABLE.search(value):
                raise ParseError(unstorable_message(value, where="A text value"))
            continue
        if depth > JSON_MAX_DEPTH:
            raise ParseError(f"JSON parse error - nested deeper than {JSON_MAX_DEPTH} levels")
        for key, item in items:
            if key is not None and _UNSTORABLE.search(key):
                raise ParseError(unstorable_message(key, where=f"The key {key!r}"))
            if isinstance(item, dict | list):
                stack.append((item, depth + 1))
            elif isinstance(item, str) and _UNSTORABLE.search(item):
                raise ParseError(unstorable_message(item, where="A text value"))
