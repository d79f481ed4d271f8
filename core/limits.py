"""Lines per document: at most DOCUMENT_MAX_LINES, refused before any line is looked at.

The rule lives in the services (`capped_lines`), so the API, the UI, admin and tasks all obey it. The API also
checks it first thing in the serializer (`core.api_fields.DocumentLinesSerializer`), before validating the request
body line by line, and loads the rows the lines refer to (items, components) in one query per field;
not one per line.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable

from django.conf import settings

from core.errors import DomainError

DEFAULT_DOCUMENT_MAX_LINES = 1000


class TooManyLines(DomainError):
    pass


def max_document_lines() -> int:
    return int(getattr(settings, "DOCUMENT_MAX_LINES", DEFAULT_DOCUMENT_MAX_LINES))


def too_many_lines_message(count: int | None) -> str:
    limit = max_document_lines()
    sent = f"{count:,} sent" if count is not None else f"more than {limit:,} sent"
    return f"at most {limit:,} lines in one document ({sent}); split it into several"


def capped_lines[T](lines: Iterable[T]) -> list[T]:
    """`lines` as a list, refused with a field error on `lines` past DOCUMENT_MAX_LINES.

    Reads at most one line past the cap, so an endless or huge iterable costs no more than the cap.
    """
    limit = max_document_lines()
    count = len(lines) if isinstance(lines, list | tuple) else None
    taken = list(lines) if count is not None and count <= limit else list(itertools.islice(lines, limit + 1))
    if len(taken) > limit:
        raise TooManyLines(too_many_lines_message(count), field="lines")
    return taken
