import pytest

from customfields.models import CustomField
from tests.inventory.conftest import acme_api, globex_api  # noqa: F401 (fixtures)


def define(entity: str = "item", key: str = "colour", field_type: str = CustomField.Type.TEXT, **fields) -> CustomField:
    """A definition written straight to the table (the services are tested on their own)."""
    label = fields.pop("label", key.replace("_", " ").capitalize())
    return CustomField.objects.create(entity=entity, key=key, label=label, field_type=field_type, **fields)


@pytest.fixture
def item_fields(in_acme):
    """One custom field of items of each type."""
    return {
        "colour": define(key="colour", field_type="choice", choices=["red", "blue"]),
        "weight_kg": define(key="weight_kg", field_type="number", min_value=0),
        "certified_on": define(key="certified_on", field_type="date"),
        "hazardous": define(key="hazardous", field_type="yes_no"),
        "note": define(key="note", field_type="text", max_length=10),
    }
