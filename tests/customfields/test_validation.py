"""validate_custom_values: the one rule for every service writing custom values, type by type."""

from decimal import Decimal

import pytest

from core.errors import DomainError
from customfields.services import CustomFieldsInvalid, custom_value_filter, validate_custom_values
from tests.customfields.conftest import define


def refusal(values: dict, entity: str = "item") -> dict[str, str]:
    with pytest.raises(CustomFieldsInvalid) as caught:
        validate_custom_values(entity, values)
    return caught.value.errors


def test_each_type_is_stored_in_its_form(item_fields):
    cleaned = validate_custom_values(
        "item",
        {"colour": "red", "weight_kg": "12.50", "certified_on": "2026-11-30", "hazardous": "yes", "note": "ok"},
    )
    assert cleaned == {
        "colour": "red",
        "weight_kg": "12.5",
        "certified_on": "2026-11-30",
        "hazardous": True,
        "note": "ok",
    }


def test_a_json_number_is_stored_as_its_decimal_string(item_fields):
    assert validate_custom_values("item", {"weight_kg": 32}) == {"weight_kg": "32"}
    assert validate_custom_values("item", {"weight_kg": Decimal("0.000")}) == {"weight_kg": "0"}


@pytest.mark.parametrize("value", ["heavy", "1e3", "2,5", "١٢", True, [1]])
def test_a_number_field_refuses_what_is_not_a_plain_number(item_fields, value):
    assert "weight_kg" in refusal({"weight_kg": value})


def test_a_number_below_the_minimum_is_refused(item_fields):
    assert refusal({"weight_kg": "-1"}) == {"weight_kg": "Weight kg must be at least 0"}


@pytest.mark.parametrize("value", ["30/11/2026", "2026-02-30", "2026-11-30T10:00", 20261130])
def test_a_date_field_refuses_what_is_not_an_iso_calendar_date(item_fields, value):
    assert "certified_on" in refusal({"certified_on": value})


def test_a_choice_field_refuses_a_value_not_among_its_choices(item_fields):
    assert refusal({"colour": "green"}) == {"colour": "Colour must be one of: red, blue"}


@pytest.mark.parametrize("value", ["maybe", 1, "2"])
def test_a_yes_no_field_refuses_what_is_not_yes_or_no(item_fields, value):
    assert "hazardous" in refusal({"hazardous": value})


def test_a_text_field_refuses_a_value_longer_than_its_maximum_or_not_text(item_fields):
    assert refusal({"note": "x" * 11}) == {"note": "Note is 11 characters long; at most 10"}
    assert "note" in refusal({"note": 5})


def test_an_unknown_key_is_refused(item_fields):
    assert "is not a custom field of items" in refusal({"grade": "8.8"})["grade"]


def test_a_required_field_must_have_a_value(in_acme):
    define(key="grade", required=True)
    assert refusal({}) == {"grade": "Grade is required"}
    assert refusal({"grade": "  "}) == {"grade": "Grade is required"}


def test_a_blank_value_is_no_value(item_fields):
    assert validate_custom_values("item", {"colour": "", "note": None}) == {}


def test_definitions_are_per_entity(in_acme):
    define(entity="partner", key="region")
    assert "region" in refusal({"region": "north"}, entity="item")
    assert validate_custom_values("partner", {"region": "north"}) == {"region": "north"}


def test_every_refused_key_is_named_at_once(item_fields):
    assert set(refusal({"colour": "green", "weight_kg": "x", "grade": "1"})) == {"colour", "weight_kg", "grade"}


def test_a_filter_value_is_read_by_the_field_type(item_fields):
    assert custom_value_filter("item", {"cf_weight_kg": "12.50", "cf_hazardous": "false", "sku": "x"}) == {
        "weight_kg": "12.5",
        "hazardous": False,
    }


def test_a_filter_on_an_undefined_key_is_refused_on_its_parameter(item_fields):
    with pytest.raises(DomainError) as caught:
        custom_value_filter("item", {"cf_grade": "1"})
    assert caught.value.field == "cf_grade"


def test_a_text_value_with_a_nul_character_is_refused(item_fields):
    assert "NUL" in refusal({"note": "a\x00b"})["note"]
