"""inventory 0013: the keys already in Item.attributes (free-form before custom fields) become definitions, so no
stored value turns into an unknown key. The data step is run on today's models (the same fields it reads)."""

import importlib

import pytest
from django.apps import apps
from django.db import connection

from customfields.models import CustomField
from customfields.services import validate_custom_values
from inventory.models import Item
from tests.inventory.factories import ItemFactory

migration = importlib.import_module("inventory.migrations.0015_item_custom_fields_gin")


def test_keys_in_use_become_definitions_typed_by_their_values(in_acme):
    ItemFactory(sku="A", attributes={"teeth": 32, "coated": True, "finish": "zinc", "Max temp": "80 C"})
    ItemFactory(sku="B", attributes={"teeth": 12.5, "coated": False, "finish": 7, "Max temp": ""})
    ItemFactory(sku="C", attributes={})
    migration.definitions_from_attributes(apps, None)
    types = dict(CustomField.objects.filter(entity="item").values_list("key", "field_type"))
    assert types == {"teeth": "number", "coated": "yes_no", "finish": "text", "max_temp": "text"}
    assert CustomField.objects.get(key="max_temp").label == "Max temp"
    stored = dict(Item.objects.values_list("sku", "attributes"))
    assert stored == {
        "A": {"teeth": "32", "coated": True, "finish": "zinc", "max_temp": "80 C"},
        "B": {"teeth": "12.5", "coated": False, "finish": "7"},
        "C": {},
    }
    for values in stored.values():
        assert validate_custom_values("item", values) == values  # every item can be written again as it is


@pytest.mark.parametrize(
    ("index", "column"),
    [("inventory_item_attrs_gin", "attributes"), ("orders_partner_cf_gin", "custom_fields"),
     ("orders_so_cf_gin", "custom_fields"), ("orders_po_cf_gin", "custom_fields")],
)  # fmt: skip
def test_each_entity_column_has_a_gin_index_in_the_tenant_schema(in_acme, index, column):
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexdef FROM pg_indexes WHERE schemaname = current_schema() AND indexname = %s", [index]
        )
        [(definition,)] = cursor.fetchall()
    assert f"gin ({column} jsonb_path_ops)" in definition
