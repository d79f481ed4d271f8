"""Stock valuation: a moving-average value per item (ItemValuation) and the value ledger (ValuationEntry).

Additive: two new tables. Each item holding stock starts with an opening entry valuing what it has on hand (the sum
of its levels) at its standard cost, so the value ledger adds up to the stock from here on; the tenant role may
only read and insert entries and read, insert and update the running rows (settings.TENANT_DB_ROLE_TABLE_PRIVILEGES).
"""

from decimal import Decimal

import django.db.models.deletion
import django.utils.timezone
from django.db import migrations, models
from django.db.models import Sum


def open_balances(apps, schema_editor) -> None:
    Item = apps.get_model("inventory", "Item")
    ItemValuation = apps.get_model("inventory", "ItemValuation")
    ValuationEntry = apps.get_model("inventory", "ValuationEntry")
    now = django.utils.timezone.now()
    rows, entries = [], []
    for item in Item.objects.annotate(on_hand=Sum("levels__on_hand")).order_by("pk"):
        on_hand = item.on_hand or Decimal(0)
        value = (on_hand * item.standard_cost).quantize(Decimal("0.0001"))
        rows.append(
            ItemValuation(item_id=item.pk, quantity=on_hand, value=value, average_cost=item.standard_cost,
                          last_unit_cost=item.standard_cost, last_value_change=value)
        )  # fmt: skip
        if on_hand:
            entries.append(
                ValuationEntry(item_id=item.pk, quantity=on_hand, unit_cost=item.standard_cost, value=value,
                               created_at=now)
            )  # fmt: skip
    ItemValuation.objects.bulk_create(rows, batch_size=1000)
    ValuationEntry.objects.bulk_create(entries, batch_size=1000)


def restrict(apps, schema_editor) -> None:
    from tenants.db_roles import restrict_tenant_role

    restrict_tenant_role(schema_editor.connection.schema_name)


class Migration(migrations.Migration):
    dependencies = [("inventory", "0012_item_planning_fields")]

    operations = [
        migrations.CreateModel(
            name="ItemValuation",
            fields=[
                (
                    "item",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.CASCADE,
                        primary_key=True,
                        related_name="valuation",
                        serialize=False,
                        to="inventory.item",
                    ),
                ),
                ("quantity", models.DecimalField(decimal_places=4, default=Decimal("0"), max_digits=18)),
                ("value", models.DecimalField(decimal_places=4, default=Decimal("0"), max_digits=22)),
                ("average_cost", models.DecimalField(decimal_places=4, default=Decimal("0"), max_digits=18)),
                ("last_unit_cost", models.DecimalField(decimal_places=4, default=Decimal("0"), max_digits=18)),
                ("last_value_change", models.DecimalField(decimal_places=4, default=Decimal("0"), max_digits=22)),
            ],
            options={"ordering": ["item_id"]},
        ),
        migrations.CreateModel(
            name="ValuationEntry",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                (
                    "quantity",
                    models.DecimalField(decimal_places=4, help_text="Signed: + into the plant, - out.", max_digits=18),
                ),
                ("unit_cost", models.DecimalField(decimal_places=4, max_digits=18)),
                (
                    "value",
                    models.DecimalField(decimal_places=4, help_text="Signed change of the stock value.", max_digits=22),
                ),
                ("created_at", models.DateTimeField(default=django.utils.timezone.now)),
                (
                    "item",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="valuation_entries",
                        to="inventory.item",
                    ),
                ),
                (
                    "move",
                    models.OneToOneField(
                        blank=True,
                        help_text="None: the opening balance written when valuation started.",
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="valuation_entry",
                        to="inventory.stockmove",
                    ),
                ),
            ],
            options={
                "verbose_name_plural": "valuation entries",
                "ordering": ["-created_at", "-id"],
                "indexes": [models.Index(fields=["created_at", "item"], name="inventory_valentry_created")],
            },
        ),
        migrations.RunPython(open_balances, migrations.RunPython.noop),
        migrations.RunPython(restrict, migrations.RunPython.noop),
    ]
