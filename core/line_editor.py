"""The line editor of documents with lines (orders, BOMs): a header form that is a `ServiceForm` plus a formset of
line forms, sent together to one service.

- Any blank row is skipped, so a line is removed by clearing it or ticking Remove; a document needs one line.
- Without JavaScript, "Add a line" and "Update totals" are submit buttons (`add_line`, `refresh`): the page comes
  back with what was typed (nothing validated, nothing saved) and one more row. With htmx the same POST refreshes
  only the lines (`hx-select`), so the server is the one place that renders a row.
- A service refusal about "line N" (the engines number the lines they were given from 1) is shown on that row.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import cast

from django import forms
from django.contrib import messages
from django.contrib.auth.models import AbstractBaseUser
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.defaultfilters import floatformat
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

from core.errors import DomainError
from core.forms import ServiceForm
from core.limits import DEFAULT_DOCUMENT_MAX_LINES as MAX_LINES

PREFIX = "lines"
_LINE_NUMBER = re.compile(r"^line (\d+)\b")


class LineForm(forms.Form):
    """One row. `LINE_FIELDS` are what the service reads for a line; `PRICE` names the price field (if any) that
    `amount` multiplies by the quantity."""

    LINE_FIELDS: tuple[str, ...] = ()
    PRICE = ""

    def values(self) -> dict[str, object]:
        return {name: self.cleaned_data.get(name) for name in self.LINE_FIELDS}

    def amount(self) -> Decimal | None:
        """Quantity x price as typed, when both read as numbers (the totals shown while editing)."""
        from core.numbers import parse_money, parse_quantity

        if not self.PRICE:
            return None
        try:
            quantity = parse_quantity(self["quantity"].value() or "")
            return quantity * parse_money(self[self.PRICE].value() or "", field="")
        except (DomainError, TypeError):
            return None


class LineFormSet(forms.BaseFormSet):
    def get_form_kwargs(self, index):
        return {**super().get_form_kwargs(index), "empty_permitted": True, "use_required_attribute": False}

    def rows(self) -> SafeString:
        """The `<tr>`s of the lines (templates/_line_editor.html): built here, one format_html per cell, because
        through the template engine a 50-line editor spent most of its server time resolving the same few variables
        per field."""
        priced = bool(self.form.PRICE)
        return format_html_join("", "{}", ((_row(form, number, priced),) for number, form in enumerate(self.forms, 1)))

    def kept(self) -> list[LineForm]:
        return [
            form
            for form in self.forms
            if form.has_changed() and not (self.can_delete and getattr(form, "cleaned_data", {}).get("DELETE"))
        ]


def _row(form: LineForm, number: int, priced: bool) -> SafeString:
    errors = form.non_field_errors()
    head = (
        format_html('<tr><td colspan="8"><div class="errors" role="alert">{}</div></td></tr>', errors) if errors else ""
    )
    cells = format_html_join(
        "",
        '<td>\n        <label class="visually-hidden" for="{}">Line {}: {}</label>\n        {}{}</td>',
        ((field.id_for_label, number, field.label, field, field.errors)
         for field in form.visible_fields() if field.name != "DELETE"),
    )  # fmt: skip
    amount = ""
    if priced:
        value = form.amount()
        amount = format_html('<td class="num">{}</td>', "" if value is None else floatformat(value, 2))
    remove = form["DELETE"]
    return format_html(
        '{}\n    <tr>\n      <td>{}</td>\n      {}\n      {}\n      <td><label class="visually-hidden" for="{}">'
        "Remove line {}</label>{}</td>\n    </tr>\n",
        head, number, cells, amount, remove.id_for_label, number, remove,
    )  # fmt: skip


def line_formset(line_form: type[LineForm], *, extra: int = 1) -> type[LineFormSet]:
    formset = forms.formset_factory(
        line_form, formset=LineFormSet, extra=extra, can_delete=True, max_num=MAX_LINES, validate_max=True
    )
    return cast(type[LineFormSet], formset)


class LineEditorForm(ServiceForm):
    """A document's header; `self.lines` is its formset."""

    no_lines = "enter at least one line"

    def __init__(self, *args, lines: LineFormSet, instance=None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.lines = lines
        self.instance = instance

    def is_valid(self) -> bool:
        header_ok, lines_ok = super().is_valid(), self.lines.is_valid()
        if lines_ok and not self.lines.kept():
            self.add_error(None, self.no_lines)
            return False
        return header_ok and lines_ok

    def line_values(self) -> list[dict[str, object]]:
        return [form.values() for form in self.lines.kept()]

    def submit(self, user: AbstractBaseUser) -> object | None:
        try:
            return self.call_service(user)
        except DomainError as exc:
            kept = self.lines.kept()
            number = _LINE_NUMBER.match(exc.message)
            if number and 0 < int(number.group(1)) <= len(kept):
                kept[int(number.group(1)) - 1].add_error(None, exc.message)
                self.add_error(None, "a line needs correcting: see the message by it")
            else:
                self.add_error(exc.field if exc.field in self.fields else None, exc.message)
            return None

    def total(self) -> Decimal:
        return sum((amount for form in self.lines.forms if (amount := form.amount()) is not None), Decimal(0))


def _raw_rows(data: Mapping[str, str], fields: list[str]) -> list[dict[str, str]]:
    try:
        count = min(int(data.get(f"{PREFIX}-TOTAL_FORMS", "0")), MAX_LINES)
    except ValueError:
        count = 0
    return [
        {name: data.get(f"{PREFIX}-{index}-{name}", "") for name in fields}
        for index in range(count)
        if not data.get(f"{PREFIX}-{index}-DELETE")
    ]


def line_editor_page(
    request: HttpRequest,
    *,
    form_class: type[LineEditorForm],
    line_form: type[LineForm],
    template: str,
    done: Callable[[object], tuple[str, str]],
    instance: object = None,
    initial: dict | None = None,
    initial_lines: list[dict] | None = None,
    context: dict | None = None,
) -> HttpResponse:
    """The create/edit page of a document with lines; `done(record)` gives the success message and where to go."""
    status = 200
    if request.method == "POST" and ("add_line" in request.POST or "refresh" in request.POST):
        rows = _raw_rows(request.POST, list(line_form.base_fields))
        extra = 1 if "add_line" in request.POST or not rows else 0
        lines = line_formset(line_form, extra=extra)(initial=rows, prefix=PREFIX)
        # Every header value typed, fields the form adds per instance (custom fields) included; not the lines'.
        header = {name: value for name, value in request.POST.items() if not name.startswith(f"{PREFIX}-")}
        header.update({name: request.POST.get(name, "") for name in form_class.base_fields})
        form = form_class(initial=header, lines=lines, instance=instance)
    elif request.method == "POST":
        lines = line_formset(line_form)(request.POST, prefix=PREFIX)
        form = form_class(request.POST, lines=lines, instance=instance)
        if form.is_valid():
            saved = form.submit(cast(AbstractBaseUser, request.user))  # the views require a signed-in user
            if saved is not None:
                message, url = done(saved)
                messages.success(request, message)
                return redirect(url)
        status = 400
    else:
        lines = line_formset(line_form)(initial=initial_lines or [], prefix=PREFIX)
        form = form_class(initial=initial or {}, lines=lines, instance=instance)
    return render(request, template, {"form": form, "lines": form.lines, **(context or {})}, status=status)


def shown(value: object) -> object:
    """A stored value as a form shows it: a Decimal without trailing zeros, a related item by its SKU."""
    if hasattr(value, "normalize"):
        return f"{value.normalize():f}"
    return getattr(value, "sku", value)
