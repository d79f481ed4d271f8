"""The form renderer (settings.FORM_RENDERER): Django's, with the templates every field renders in Python.

A line editor of 50 lines renders some 300 widgets and 300 error lists; through the template engine each is an
include of `input.html`, which includes `attrs.html`, which loops over the attributes: most of an order edit page's
server time. Here the plain inputs (text, date, number, checkbox, hidden, the picker) and an empty error list are
built by string formatting to the very HTML those templates give (tests/core/test_form_renderer.py compares them);
any other template (selects, textareas, a non-empty error list, forms, formsets) goes through the engine as before.
"""

from __future__ import annotations

from collections.abc import Callable
from html import escape as _escape

from django.forms.renderers import DjangoTemplates
from django.utils.safestring import SafeData


def escape(value: object) -> str:
    """django.utils.html.escape (which is html.escape of the str), without its lazy-string wrapper per call."""
    return _escape(f"{value}")


def _text(value: object) -> str:
    """`{{ value|stringformat:'s' }}` under autoescaping (the filter keeps a safe string safe)."""
    text = f"{value}"
    return text if isinstance(value, SafeData) else escape(text)


def _attrs(attrs: dict) -> str:
    """django/forms/widgets/attrs.html: a False attribute left out, a True one written bare."""
    return "".join(
        f" {escape(name)}" if value is True else f' {escape(name)}="{_text(value)}"'
        for name, value in attrs.items()
        if value is not False
    )


def _input(context: dict) -> str:
    """django/forms/widgets/input.html (and text, date, number, checkbox, hidden, ... which include it)."""
    widget = context["widget"]
    value = widget["value"]
    shown = "" if value is None else f' value="{_text(value)}"'
    return f'<input type="{escape(widget["type"])}" name="{escape(widget["name"])}"{shown}{_attrs(widget["attrs"])}>'


def _picker(context: dict) -> str:
    """core/widgets/picker.html: the input, the newline its include keeps, then its empty datalist."""
    return f'{_input(context)}\n<datalist id="{escape(context["widget"]["options_id"])}"></datalist>'


_INPUTS = ("text", "date", "number", "checkbox", "hidden", "email", "password", "url", "search", "tel", "time")
_BUILT: dict[str, Callable[[dict], str]] = {
    **{f"django/forms/widgets/{name}.html": _input for name in (*_INPUTS, "input", "datetime")},
    "core/widgets/picker.html": _picker,
}
_ERROR_LISTS = frozenset({"django/forms/errors/list/default.html", "django/forms/errors/list/ul.html"})


class FastRenderer(DjangoTemplates):
    def render(self, template_name, context, request=None):
        built = _BUILT.get(template_name)
        if built is not None and "widget" in context:
            return built(context)
        if template_name in _ERROR_LISTS and not context.get("errors"):
            return ""
        return super().render(template_name, context, request=request)
