"""MrpRun moved to the planning app with its table: production forgets it, the table stays (planning 0001)."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("production", "0003_workorder_due_date_bounds"),
        ("planning", "0001_initial"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[],
            state_operations=[migrations.DeleteModel(name="MrpRun")],
        ),
    ]
