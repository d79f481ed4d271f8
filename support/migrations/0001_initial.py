"""The support session records, moved here from the tenants app: state only, their tables (tenants_support*) were
created by tenants' migration 0004 and are kept as they are."""

import django.db.models.deletion
from django.db import migrations, models


def _move_content_types(app_label: str, models: list[str]):
    """Keep the content types (and so the permissions granted on them) of the moved models: relabel them."""

    def forwards(apps, schema_editor):
        content_type = apps.get_model("contenttypes", "ContentType")
        taken = set(content_type.objects.filter(app_label=app_label).values_list("model", flat=True))
        content_type.objects.filter(app_label="tenants", model__in=[m for m in models if m not in taken]).update(
            app_label=app_label
        )

    def backwards(apps, schema_editor):
        apps.get_model("contenttypes", "ContentType").objects.filter(app_label=app_label, model__in=models).update(
            app_label="tenants"
        )

    return migrations.RunPython(forwards, backwards)


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ('contenttypes', '0002_remove_content_type_name'),
        ('tenants', '0007_fleet_and_support_apps'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name='SupportGrant',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('tenant_slug', models.CharField(max_length=30)),
                        ('staff', models.CharField(help_text='Public-side staff username.', max_length=150)),
                        ('reason', models.TextField()),
                        ('started_at', models.DateTimeField()),
                        ('expires_at', models.DateTimeField()),
                        ('token_used_at', models.DateTimeField(blank=True, help_text='When the one-time link was exchanged.', null=True)),
                        ('ended_at', models.DateTimeField(blank=True, null=True)),
                        ('end_reason', models.CharField(blank=True, choices=[('ended', 'Ended'), ('expired', 'Expired')], max_length=16)),
                        ('ended_by', models.CharField(blank=True, max_length=150)),
                        ('tenant', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='support_grants', to='tenants.tenant')),
                    ],
                    options={
                        'db_table': 'tenants_supportgrant',
                        'ordering': ['-started_at'],
                    },
                ),
                migrations.CreateModel(
                    name='SupportEvent',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('kind', models.CharField(choices=[('start', 'Started'), ('enter', 'Entered tenant'), ('write_refused', 'Write refused'), ('end', 'Ended'), ('expire', 'Expired')], max_length=16)),
                        ('at', models.DateTimeField(auto_now_add=True)),
                        ('method', models.CharField(blank=True, max_length=10)),
                        ('path', models.CharField(blank=True, max_length=500)),
                        ('actor', models.CharField(blank=True, max_length=150)),
                        ('grant', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='events', to='support.supportgrant')),
                    ],
                    options={
                        'db_table': 'tenants_supportevent',
                        'ordering': ['grant', 'at', 'pk'],
                    },
                ),
                migrations.AddConstraint(
                    model_name='supportgrant',
                    constraint=models.CheckConstraint(condition=models.Q(('expires_at__gt', models.F('started_at'))), name='support_expires_later'),
                ),
            ],
            database_operations=[],
        ),
        _move_content_types('support', ['supportgrant', 'supportevent']),
    ]
