"""core.form_renderer.FastRenderer writes the HTML Django's template renderer writes, only faster."""

from __future__ import annotations

import pytest
from django import forms
from django.forms.renderers import DjangoTemplates
from django.forms.utils import ErrorList
from django.utils.safestring import mark_safe

from core.form_renderer import FastRenderer
from core.pickers import PickerInput

WIDGETS = [
    forms.TextInput(),
    forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off", "required": True, "disabled": False}),
    forms.DateInput(attrs={"type": "date"}),
    forms.NumberInput(attrs={"step": "0.01", "min": 0}),
    forms.CheckboxInput(),
    forms.HiddenInput(),
    forms.EmailInput(attrs={"placeholder": "a \"quoted\" <b> & 'that'"}),
    forms.PasswordInput(render_value=True),
    forms.URLInput(),
    forms.TimeInput(),
    forms.DateTimeInput(),
]
VALUES = [None, "", "P-001", "<script>\"x\"</script> & 'y'", 0, 12.5, True, mark_safe("<b>safe</b>")]


@pytest.mark.parametrize("widget", WIDGETS, ids=lambda widget: type(widget).__name__)
@pytest.mark.parametrize("value", VALUES)
def test_an_input_renders_as_the_template_renders_it(widget, value):
    attrs = {"id": "id_lines-0-item", "class": "wide"}
    stock = widget.render("lines-0-item", value, attrs=attrs, renderer=DjangoTemplates())
    assert widget.render("lines-0-item", value, attrs=attrs, renderer=FastRenderer()) == stock


@pytest.mark.parametrize("value", [None, "P-001", "<x>"])
def test_the_picker_renders_as_its_template_renders_it(in_acme, value):
    widget = PickerInput("inventory:item-picker", query={"role": "a&b"})
    stock = widget.render("lines-3-item", value, attrs={"id": "id_lines-3-item"}, renderer=DjangoTemplates())
    assert widget.render("lines-3-item", value, attrs={"id": "id_lines-3-item"}, renderer=FastRenderer()) == stock


@pytest.mark.parametrize("errors", [[], ["enter a number"], ["<bad> & 'worse'", "two"]])
def test_an_error_list_renders_as_the_template_renders_it(errors):
    stock = ErrorList(errors, renderer=DjangoTemplates(), field_id="id_x")
    assert str(ErrorList(errors, renderer=FastRenderer(), field_id="id_x")) == str(stock)


def test_a_select_still_goes_through_the_template():
    widget = forms.Select(choices=[("a", "A & B"), ("b", "<b>")])
    assert widget.render("s", "b", renderer=FastRenderer()) == widget.render("s", "b", renderer=DjangoTemplates())


def test_the_project_uses_the_fast_renderer(settings):
    assert settings.FORM_RENDERER == "core.form_renderer.FastRenderer"
