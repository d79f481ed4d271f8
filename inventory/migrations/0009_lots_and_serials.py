"""Lots and serial numbers beside the item-level ledger (inventory.services.lots): Item.tracking (default "none",
so nothing changes for existing items), Lot, LotLevel, StockMoveLot (append-only like stock moves: the same trigger
function refuses UPDATE, DELETE and TRUNCATE) and LotGenealogy.
"""

from decimal import Decimal

import django.db.models.deletion
import django.utils.timezone
from django.db import migrations, models

from core.sql import load_sql

IMMUTABLE = load_sql("inventory", "stockmovelot_immutable_v1.sql")
DROP_IMMUTABLE = """
DROP TRIGGER IF EXISTS inventory_stockmovelot_no_truncate ON inventory_stockmovelot;
DROP TRIGGER IF EXISTS inventory_stockmovelot_immutable ON inventory_stockmovelot;
"""


class Migration(migrations.Migration):
    dependencies = [
        ("contenttypes", "0002_remove_content_type_name"),
        ("inventory", "0008_itemimport_background_job"),
    ]

    operations = [
        migrations.AddField(
            model_name="item",
            name="tracking",
            field=models.CharField(
                choices=[("none", "Not tracked"), ("lot", "By lot"), ("serial", "By serial number")],
                default="none",
                help_text="By lot: receipts name a lot (batch); by serial number: each unit has its own number.",
                max_length=8,
            ),
        ),
        migrations.CreateModel(
            name="Lot",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("code", models.CharField(help_text="The lot or serial number, unique per item.", max_length=64)),
                ("is_serial", models.BooleanField(default=False)),
                (
                    "supplier_lot",
                    models.CharField(blank=True, help_text="The supplier's own lot number.", max_length=64),
                ),
                ("expiry_date", models.DateField(blank=True, null=True)),
                ("created_at", models.DateTimeField(default=django.utils.timezone.now)),
                (
                    "created_by_move",
                    models.ForeignKey(
                        blank=True,
                        help_text="The receipt, output or adjustment that first brought this lot in.",
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="inventory.stockmove",
                    ),
                ),
                (
                    "item",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT, related_name="lots", to="inventory.item"
                    ),
                ),
            ],
            options={
                "ordering": ["item_id", "code"],
            },
        ),
        migrations.CreateModel(
            name="LotGenealogy",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("quantity", models.DecimalField(decimal_places=4, max_digits=18)),
                ("source_id", models.PositiveBigIntegerField()),
                ("created_at", models.DateTimeField(default=django.utils.timezone.now)),
                (
                    "consumed_lot",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT, related_name="used_in", to="inventory.lot"
                    ),
                ),
                (
                    "produced_lot",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT, related_name="made_from", to="inventory.lot"
                    ),
                ),
                (
                    "source_type",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT, related_name="+", to="contenttypes.contenttype"
                    ),
                ),
            ],
            options={
                "verbose_name_plural": "lot genealogy",
                "ordering": ["id"],
            },
        ),
        migrations.CreateModel(
            name="LotLevel",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("on_hand", models.DecimalField(decimal_places=4, default=Decimal("0"), max_digits=18)),
                (
                    "location",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT, related_name="lot_levels", to="inventory.location"
                    ),
                ),
                (
                    "lot",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT, related_name="levels", to="inventory.lot"
                    ),
                ),
            ],
            options={
                "ordering": ["lot_id", "location_id"],
            },
        ),
        migrations.CreateModel(
            name="StockMoveLot",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("quantity", models.DecimalField(decimal_places=4, max_digits=18)),
                (
                    "lot",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT, related_name="moves", to="inventory.lot"
                    ),
                ),
                (
                    "move",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT, related_name="lots", to="inventory.stockmove"
                    ),
                ),
            ],
            options={
                "ordering": ["move_id", "lot_id"],
            },
        ),
        migrations.AddIndex(
            model_name="lot",
            index=models.Index(fields=["item", "expiry_date", "id"], name="inventory_lot_fefo"),
        ),
        migrations.AddConstraint(
            model_name="lot",
            constraint=models.UniqueConstraint(fields=("item", "code"), name="inventory_lot_item_code_uniq"),
        ),
        migrations.AddIndex(
            model_name="lotgenealogy",
            index=models.Index(fields=["consumed_lot", "produced_lot"], name="inventory_genealogy_forward"),
        ),
        migrations.AddIndex(
            model_name="lotgenealogy",
            index=models.Index(fields=["produced_lot", "consumed_lot"], name="inventory_genealogy_backward"),
        ),
        migrations.AddConstraint(
            model_name="lotgenealogy",
            constraint=models.CheckConstraint(
                condition=models.Q(("quantity__gt", 0)), name="inventory_lotgenealogy_quantity_gt_0"
            ),
        ),
        migrations.AddConstraint(
            model_name="lotgenealogy",
            constraint=models.CheckConstraint(
                condition=models.Q(("consumed_lot", models.F("produced_lot")), _negated=True),
                name="inventory_lotgenealogy_not_own_parent",
            ),
        ),
        migrations.AddIndex(
            model_name="lotlevel",
            index=models.Index(fields=["location", "lot"], name="inventory_lotlevel_location"),
        ),
        migrations.AddConstraint(
            model_name="lotlevel",
            constraint=models.UniqueConstraint(fields=("lot", "location"), name="inventory_lotlevel_lot_location_uniq"),
        ),
        migrations.AddConstraint(
            model_name="lotlevel",
            constraint=models.CheckConstraint(
                condition=models.Q(("on_hand__gte", 0)), name="inventory_lotlevel_on_hand_gte_0"
            ),
        ),
        migrations.AddIndex(
            model_name="stockmovelot",
            index=models.Index(fields=["lot", "move"], name="inventory_stockmovelot_lot"),
        ),
        migrations.AddConstraint(
            model_name="stockmovelot",
            constraint=models.UniqueConstraint(fields=("move", "lot"), name="inventory_stockmovelot_move_lot_uniq"),
        ),
        migrations.AddConstraint(
            model_name="stockmovelot",
            constraint=models.CheckConstraint(
                condition=models.Q(("quantity__gt", 0)), name="inventory_stockmovelot_quantity_gt_0"
            ),
        ),
        migrations.RunSQL(IMMUTABLE, reverse_sql=DROP_IMMUTABLE),
    ]
