"""SKUs are unique whatever their letter case: "bolt-10" and "BOLT-10" can no longer be two items. And a lead time
is at most 3650 days (a validator only: no change in the database).

A tenant that already has such twins cannot be given the constraint: the migration stops with one line naming them
(per schema) rather than pick which item to rename. Rename or merge them (admin or API), then migrate again.
"""

import django.db.models.functions.text
import core.validators
from django.db import migrations, models
from django.db.models.functions import Lower


def refuse_case_twins(apps, schema_editor) -> None:
    Item = apps.get_model("inventory", "Item")
    twins = (
        Item.objects.annotate(sku_ci=Lower("sku"))
        .values("sku_ci")
        .annotate(n=models.Count("id"))
        .filter(n__gt=1)
        .values_list("sku_ci", flat=True)
    )
    names = sorted(twins[:20])
    if names:
        schema = schema_editor.connection.schema_name
        raise RuntimeError(
            f"schema {schema}: SKUs that differ only by letter case must be renamed before migrating "
            f"(inventory 0006): {', '.join(names)}"
        )


class Migration(migrations.Migration):
    dependencies = [("inventory", "0005_post_move_only_path")]

    operations = [
        migrations.AlterField(
            model_name="item",
            name="lead_time_days",
            field=models.PositiveIntegerField(default=0, validators=[core.validators.validate_lead_time]),
        ),
        migrations.RunPython(refuse_case_twins, migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name="item",
            constraint=models.UniqueConstraint(
                django.db.models.functions.text.Lower("sku"),
                name="inventory_item_sku_unique_ci",
                violation_error_message="An item with this SKU already exists (SKUs are compared ignoring case).",
            ),
        ),
    ]
