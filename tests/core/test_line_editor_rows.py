"""LineFormSet.rows writes the line rows the template loop of templates/_line_editor.html used to write."""

from __future__ import annotations

import re

from django import forms
from django.template import Context, Template

from core.line_editor import PREFIX, LineForm, line_formset

OLD_LOOP = """{% for line in lines %}
    {% if line.non_field_errors %}<tr><td colspan="8"><div class="errors" role="alert">{{ line.non_field_errors }}</div></td></tr>{% endif %}
    <tr>
      <td>{{ forloop.counter }}</td>
      {% for field in line.visible_fields %}{% if field.name != "DELETE" %}<td>
        <label class="visually-hidden" for="{{ field.id_for_label }}">Line {{ forloop.parentloop.counter }}: {{ field.label }}</label>
        {{ field }}{{ field.errors }}</td>{% endif %}{% endfor %}
      {% if priced %}<td class="num">{% with amount=line.amount %}{% if amount is not None %}{{ amount|floatformat:2 }}{% endif %}{% endwith %}</td>{% endif %}
      <td><label class="visually-hidden" for="{{ line.DELETE.id_for_label }}">Remove line {{ forloop.counter }}</label>{{ line.DELETE }}</td>
    </tr>
    {% endfor %}"""  # noqa: E501


class _PricedLine(LineForm):
    PRICE = "price"
    sku = forms.CharField(label="Item <SKU>")
    quantity = forms.CharField()
    price = forms.CharField(required=False)


class _PlainLine(LineForm):
    sku = forms.CharField(label="Component")
    quantity = forms.CharField()


def _same(formset, priced: bool) -> None:
    old = Template(OLD_LOOP).render(Context({"lines": formset, "priced": priced}))
    assert re.sub(r"\s+", " ", formset.rows()).strip() == re.sub(r"\s+", " ", old).strip()


def test_priced_rows_with_amounts_and_errors_are_the_template_rows():
    data = {
        f"{PREFIX}-TOTAL_FORMS": "3", f"{PREFIX}-INITIAL_FORMS": "0",
        f"{PREFIX}-0-sku": "P-1", f"{PREFIX}-0-quantity": "2", f"{PREFIX}-0-price": "1.255",
        f"{PREFIX}-1-sku": "", f"{PREFIX}-1-quantity": "x<y", f"{PREFIX}-1-price": "",
        f"{PREFIX}-2-sku": "P-3", f"{PREFIX}-2-quantity": "1", f"{PREFIX}-2-DELETE": "on",
    }  # fmt: skip
    formset = line_formset(_PricedLine)(data, prefix=PREFIX)
    formset.is_valid()
    formset.forms[0].add_error(None, "line 1: <not> enough")
    _same(formset, priced=True)


def test_unpriced_blank_rows_are_the_template_rows():
    formset = line_formset(_PlainLine, extra=2)(initial=[{"sku": "A&B", "quantity": "1"}], prefix=PREFIX)
    _same(formset, priced=False)


def test_a_url_around_an_id_is_the_reversed_url(in_acme):
    from django.urls import reverse

    from core.pages import url_around_id

    before, after = url_around_id("inventory:item-detail")
    assert f"{before}1207{after}" == reverse("inventory:item-detail", args=[1207])
