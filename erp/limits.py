"""Moved to core.limits / core.api_fields (issue 19); this re-export goes once every branch imports from core."""

from core.api_fields import DocumentLinesSerializer  # noqa: F401
from core.limits import TooManyLines, capped_lines, max_document_lines, too_many_lines_message  # noqa: F401
