"""ItemImport takes its status, owner, timestamps and failure from core.models.BackgroundJob. The columns are
unchanged; only the failure field's help text is the shared one, so this changes nothing in the database."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("inventory", "0007_post_move_bounds_levels"),
    ]

    operations = [
        migrations.AlterField(
            model_name="itemimport",
            name="failure",
            field=models.TextField(blank=True, help_text="Why the job failed, if it did."),
        ),
    ]
