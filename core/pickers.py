"""The search picker of the web UI: a text input for a code (an item's SKU, a partner's code) that works as a plain
field without JavaScript and is validated on the server; with htmx, typing fills a `<datalist>` with matches.

The widget asks its app's picker view (`source`, a URL name) for `<option>`s: `GET <source>?field=<name>&<name>=
<typed>` (htmx sends the input's own value under its name; `field` says which parameter that is). The view answers
with `core/widgets/picker_options.html`. The field that uses the widget resolves the code itself (case-insensitive
for SKUs), so a value that never went through the picker (typed, scanned, pasted) is treated the same.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from django import forms
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.http import urlencode

PICKS = 10
"""Matches a picker offers at most."""


class PickerInput(forms.TextInput):
    template_name = "core/widgets/picker.html"

    def __init__(self, source: str, *, query: Mapping[str, str] | None = None, attrs: dict | None = None) -> None:
        defaults = {"autocomplete": "off", "autocapitalize": "off", "spellcheck": "false"}
        super().__init__(attrs={**defaults, **(attrs or {})})
        self.source = source
        self.query = dict(query or {})

    def get_context(self, name: str, value: object, attrs: dict | None) -> dict:
        context = super().get_context(name, value, attrs)
        widget = context["widget"]
        options_id = f"{widget['attrs'].get('id') or name}-options"
        url = f"{reverse(self.source)}?{urlencode({**self.query, 'field': name})}"
        widget["attrs"].update(
            {
                "list": options_id,
                "hx-get": url,
                "hx-trigger": "input changed delay:250ms, focus once",
                "hx-target": f"#{options_id}",
                "hx-swap": "innerHTML",
                "hx-sync": "this:replace",
            }
        )
        widget["options_id"] = options_id
        return context


def picker_query(request: HttpRequest) -> str:
    """What was typed into the picker asking: the parameter `field` names, or `q`."""
    return request.GET.get(request.GET.get("field") or "q", "").strip()[:100]


def picker_response(request: HttpRequest, options: Iterable[tuple[str, str]]) -> HttpResponse:
    """The `<option>`s of a picker: (value, label) pairs."""
    return render(request, "core/widgets/picker_options.html", {"options": list(options)})
