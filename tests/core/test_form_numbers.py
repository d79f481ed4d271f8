"""Numbers typed into the pages: a comma is refused with "use a dot", letters say "Enter a number.", what was typed
is shown again, and the inputs are text inputs (a browser's number input rewrote "2,5" as 25 and sent letters as
an empty field)."""

from decimal import Decimal

import pytest
from django import forms

from core.form_fields import PlainDecimalField, PlainIntegerField
from core.numbers import QUANTITY, parse_quantity
from inventory.models import StockMove
from tests.inventory.factories import ItemFactory, LocationFactory
from tests.web_roles import signed_in_as


class QuantityForm(forms.Form):
    quantity = PlainDecimalField(**QUANTITY)
    days = PlainIntegerField(required=False)


@pytest.mark.parametrize("typed", ["2,5", "1,000", "1,000.5", ",5"])
def test_a_comma_is_refused_with_use_a_dot(typed):
    form = QuantityForm({"quantity": typed})
    assert not form.is_valid()
    assert form.errors["quantity"] == [
        f"{typed!r} has a comma: use a dot for decimals, e.g. 2.5, and no thousands separators."
    ]


def test_a_comma_in_a_whole_number_is_refused_the_same_way():
    form = QuantityForm({"quantity": "1", "days": "1,5"})
    assert "use a dot for decimals" in form.errors["days"][0]


@pytest.mark.parametrize("typed", ["abc", "2.5kg", "two"])
def test_letters_say_enter_a_number(typed):
    form = QuantityForm({"quantity": typed})
    assert form.errors["quantity"] == ["Enter a number."]


def test_the_typed_text_is_shown_again_with_the_error():
    form = QuantityForm({"quantity": "2,5"})
    assert not form.is_valid()
    assert 'value="2,5"' in str(form["quantity"])


def test_numbers_render_as_text_inputs_with_a_digit_keyboard():
    html = str(QuantityForm()["quantity"]) + str(QuantityForm()["days"])
    assert 'type="text"' in html and 'type="number"' not in html
    assert 'inputmode="decimal"' in html and 'inputmode="numeric"' in html


def test_a_dot_decimal_still_reads():
    form = QuantityForm({"quantity": "2.5"})
    assert form.is_valid() and form.cleaned_data["quantity"] == Decimal("2.5")


def test_the_services_parser_gives_the_same_comma_message():
    from core.errors import InvalidQuantity

    with pytest.raises(InvalidQuantity, match="use a dot for decimals"):
        parse_quantity("2,5")


def test_receiving_2_comma_5_is_refused_by_the_quantity_and_posts_nothing(acme, acme_client, in_acme):
    operator = signed_in_as(acme_client, acme, "operator")
    ItemFactory(sku="BOLT-10")
    a1 = LocationFactory(code="A1")
    response = operator.post("/inventory/stock/receive/", {"item": "bolt-10", "location": a1.pk, "quantity": "2,5"})
    assert response.status_code == 400
    assert "use a dot for decimals" in response.context["form"].errors["quantity"][0]
    assert 'value="2,5"' in response.content.decode()
    assert not StockMove.objects.exists()
