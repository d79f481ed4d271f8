"""MrpRun moved here from production with its table (production_mrprun): only Django's state changes, no table is
created, dropped or copied (production 0004 removes it from production's state)."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        ("production", "0003_workorder_due_date_bounds"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[],
            state_operations=[
                migrations.CreateModel(
                    name="MrpRun",
                    fields=[
                        ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                        (
                            "horizon_days",
                            models.PositiveIntegerField(
                                blank=True,
                                help_text="Only demand due within this many days counts; empty: all demand.",
                                null=True,
                            ),
                        ),
                        (
                            "status",
                            models.CharField(
                                choices=[
                                    ("pending", "Waiting to start"),
                                    ("running", "Running"),
                                    ("done", "Done"),
                                    ("failed", "Failed"),
                                ],
                                default="pending",
                                max_length=16,
                            ),
                        ),
                        (
                            "lines",
                            models.JSONField(
                                blank=True, default=list, help_text="The planned lines (planning.engine.MrpLine)."
                            ),
                        ),
                        ("line_count", models.PositiveIntegerField(default=0)),
                        ("late_count", models.PositiveIntegerField(default=0)),
                        ("failure", models.TextField(blank=True, help_text="Why the run failed, if it did.")),
                        ("created_at", models.DateTimeField(auto_now_add=True)),
                        ("started_at", models.DateTimeField(blank=True, null=True)),
                        ("finished_at", models.DateTimeField(blank=True, null=True)),
                        (
                            "created_by",
                            models.ForeignKey(
                                blank=True,
                                null=True,
                                on_delete=django.db.models.deletion.SET_NULL,
                                related_name="+",
                                to=settings.AUTH_USER_MODEL,
                            ),
                        ),
                    ],
                    options={
                        "db_table": "production_mrprun",
                        "verbose_name": "MRP run",
                        "ordering": ["-created_at", "-id"],
                        "constraints": [
                            models.CheckConstraint(
                                condition=models.Q(("horizon_days__isnull", True), ("horizon_days__gte", 1), _connector="OR"),
                                name="production_mrprun_horizon_gte_1",
                            )
                        ],
                    },
                ),
            ],
        ),
    ]
