"""Give each existing unit a precision that means something, without breaking what it already counts.

Pieces-like units (pcs, ea, each, ...) count whole units, measures (kg, m, l, ...) three decimals; any other unit keeps
the four decimal places every quantity had until now. A unit is never made coarser than a quantity already in the
ledger or the stock levels of its items (min_scale: 2.5 pcs on hand keeps pcs at 1 decimal place), so nothing
recorded becomes uncountable (the same rule as `inventory.services.units.check_decimals_change`, copied here since a
migration does not import the code it predates). Reversing leaves the column to the schema migration before it.
"""

from django.db import migrations

WHOLE = {"pcs", "pc", "ea", "each", "piece", "pieces", "unit", "units", "pce", "pr", "pair"}
MEASURES = {"kg", "g", "t", "lb", "oz", "m", "cm", "mm", "km", "ft", "in", "yd", "l", "ml", "cl", "dl", "m2", "m3",
            "sqm", "cbm", "gal", "h", "hr", "min"}  # fmt: skip

_USED_SCALE = """
SELECT COALESCE(MAX(s), 0) FROM (
    SELECT MAX(min_scale(m.quantity)) AS s FROM inventory_stockmove m
    JOIN inventory_item i ON i.id = m.item_id WHERE i.uom_id = %(unit)s
    UNION ALL
    SELECT MAX(GREATEST(min_scale(l.on_hand), min_scale(l.reserved))) FROM inventory_stocklevel l
    JOIN inventory_item i ON i.id = l.item_id WHERE i.uom_id = %(unit)s
) used
"""


def set_decimals(apps, schema_editor):
    UnitOfMeasure = apps.get_model("inventory", "UnitOfMeasure")
    with schema_editor.connection.cursor() as cursor:
        for unit in UnitOfMeasure.objects.all():
            code = unit.code.lower()
            preferred = 0 if code in WHOLE else 3 if code in MEASURES else 4
            if preferred == 4:
                continue
            cursor.execute(_USED_SCALE, {"unit": unit.pk})
            used = cursor.fetchone()[0] or 0
            unit.decimals = min(max(preferred, used), 4)
            unit.save(update_fields=["decimals"])


class Migration(migrations.Migration):
    dependencies = [("inventory", "0010_unit_decimals_and_item_conversions")]

    operations = [migrations.RunPython(set_decimals, migrations.RunPython.noop)]
