"""Planning fields of existing items: items with an active BOM are made, the others bought (planning no longer
guesses it from the BOM), and every item's low-level code is computed once; from now on the BOM services keep it."""

from django.db import migrations

PROCUREMENT = """
UPDATE inventory_item i SET procurement = 'make'
WHERE EXISTS (SELECT 1 FROM production_bom b WHERE b.item_id = i.id AND b.is_active)
"""

LOW_LEVEL_CODES = """
WITH RECURSIVE above(item_id, ancestor, depth) AS (
    SELECT id, id, 0 FROM inventory_item
    UNION
    SELECT a.item_id, b.item_id, a.depth + 1
    FROM above a
    JOIN production_bomline l ON l.component_id = a.ancestor
    JOIN production_bom b ON b.id = l.bom_id AND b.is_active
    WHERE a.depth < 1000
)
UPDATE inventory_item i SET low_level_code = code.depth
FROM (SELECT item_id, max(depth) AS depth FROM above GROUP BY item_id) AS code
WHERE i.id = code.item_id AND i.low_level_code <> code.depth
"""


class Migration(migrations.Migration):
    dependencies = [
        ("production", "0005_workorder_uncompleted_event"),
        ("inventory", "0012_item_planning_fields"),
    ]

    operations = [
        migrations.RunSQL(PROCUREMENT, reverse_sql=migrations.RunSQL.noop),
        migrations.RunSQL(LOW_LEVEL_CODES, reverse_sql=migrations.RunSQL.noop),
    ]
