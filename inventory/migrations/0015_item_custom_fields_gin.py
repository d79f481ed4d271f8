"""Item.attributes becomes the items' custom-field store: a GIN index (jsonb_path_ops) for `attributes @> {...}`
filters, and a definition for every key already in use, so no stored value turns into an "unknown key".

Each key in use becomes a custom field of items: yes/no when every value is a bool, number when every value is a
JSON number (stored from now on as a decimal string, "32"), text otherwise (other values written as text). A key
that is not a valid custom-field key ("Max temp") is renamed on every item to one that is ("max_temp"); the
definition's label keeps the original. Reversing drops the index and keeps the definitions and values.
"""

import json
import re
from decimal import Decimal

import django.contrib.postgres.indexes
from django.db import migrations, models

_KEY = re.compile(r"^[a-z][a-z0-9_]{0,39}$")


def _slug(key: str, taken: set[str]) -> str:
    base = re.sub(r"[^a-z0-9_]+", "_", key.lower()).strip("_")
    if not base or not base[0].isalpha() or not base.isascii():
        base = f"f_{base}" if base.isascii() else "field"
    base = base[:36]
    slug, n = base, 2
    while slug in taken or not _KEY.fullmatch(slug):
        slug, n = f"{base}_{n}", n + 1
    return slug


def _number_text(value) -> str | None:
    number = Decimal(str(value))
    whole, _, places = f"{abs(number):f}".partition(".")
    if not number.is_finite() or len(whole.lstrip("0")) > 14 or len(places.rstrip("0")) > 6:
        return None
    return "0" if number == 0 else f"{number.normalize():f}"


def definitions_from_attributes(apps, schema_editor):
    Item = apps.get_model("inventory", "Item")
    CustomField = apps.get_model("customfields", "CustomField")
    seen: dict[str, list] = {}
    for attributes in Item.objects.exclude(attributes={}).values_list("attributes", flat=True).iterator():
        if isinstance(attributes, dict):
            for key, value in attributes.items():
                seen.setdefault(key, []).append(value)
    if not seen:
        return
    taken = set(CustomField.objects.filter(entity="item").values_list("key", flat=True))
    plan = {}  # original key -> (new key, converter)
    for position, key in enumerate(sorted(seen)):
        values = [v for v in seen[key] if v is not None and v != ""]
        if key in taken:
            plan[key] = (key, None)
            continue
        new_key = key if _KEY.fullmatch(key) else _slug(key, taken)
        taken.add(new_key)
        if values and all(isinstance(v, bool) for v in values):
            kind, convert = "yes_no", None
        elif values and all(
            isinstance(v, int | float) and not isinstance(v, bool) and _number_text(v) is not None for v in values
        ):
            kind, convert = "number", _number_text
        else:
            kind, convert = "text", (lambda v: v if isinstance(v, str) else json.dumps(v))
        longest = max((len(convert(v)) for v in values), default=0) if kind == "text" else 0
        CustomField.objects.create(
            entity="item",
            key=new_key,
            label=key[:100],
            field_type=kind,
            max_length=min(500, max(200, longest)),
            position=position,
        )
        plan[key] = (new_key, convert)
    batch = []
    for item in Item.objects.exclude(attributes={}).only("pk", "attributes").iterator():
        if not isinstance(item.attributes, dict):
            continue
        new = {}
        for key, value in item.attributes.items():
            new_key, convert = plan[key]
            if value is None or value == "":
                continue
            new[new_key] = convert(value) if convert is not None else value
        if new != item.attributes:
            item.attributes = new
            batch.append(item)
        if len(batch) >= 1000:
            Item.objects.bulk_update(batch, ["attributes"])
            batch = []
    if batch:
        Item.objects.bulk_update(batch, ["attributes"])


class Migration(migrations.Migration):
    dependencies = [
        ("inventory", "0014_post_move_holds_item_key_share"),
        ("customfields", "0001_initial"),
    ]

    operations = [
        migrations.AlterField(
            model_name="item",
            name="attributes",
            field=models.JSONField(
                blank=True,
                default=dict,
                help_text='Custom-field values by key, e.g. {"colour": "red"}.',
                verbose_name="custom fields",
            ),
        ),
        migrations.AddIndex(
            model_name="item",
            index=django.contrib.postgres.indexes.GinIndex(
                fields=["attributes"], name="inventory_item_attrs_gin", opclasses=["jsonb_path_ops"]
            ),
        ),
        migrations.RunPython(definitions_from_attributes, migrations.RunPython.noop, elidable=False),
    ]
