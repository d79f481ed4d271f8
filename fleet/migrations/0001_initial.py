"""The fleet records, moved here from the tenants app: state only, their tables (tenants_*) were created by tenants'
migrations 0002 and 0005 and are kept as they are."""

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
                    name='FanOutRun',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('job', models.CharField(max_length=100)),
                        ('actor', models.CharField(max_length=150)),
                        ('started_at', models.DateTimeField(auto_now_add=True)),
                        ('tenant_count', models.PositiveIntegerField(default=0)),
                    ],
                    options={
                        'db_table': 'tenants_fanoutrun',
                        'ordering': ['-started_at'],
                    },
                ),
                migrations.CreateModel(
                    name='FleetMigrationRun',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('started_at', models.DateTimeField(auto_now_add=True)),
                        ('finished_at', models.DateTimeField(blank=True, null=True)),
                        ('status', models.CharField(choices=[('running', 'Running'), ('ok', 'OK'), ('failed', 'Failed'), ('stopped', 'Stopped (canary failed)'), ('abandoned', 'Abandoned (its process died)')], default='running', max_length=16)),
                        ('actor', models.CharField(max_length=150)),
                        ('canary', models.CharField(blank=True, help_text='Schema migrated first.', max_length=63)),
                        ('up_to_date', models.PositiveIntegerField(default=0, help_text='Schemas that had nothing to apply.')),
                        ('summary', models.TextField(blank=True)),
                        ('holder_pid', models.IntegerField(blank=True, help_text='PostgreSQL backend that holds the fleet lock for this run while it lives.', null=True)),
                        ('retry_of', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='retries', to='fleet.fleetmigrationrun')),
                    ],
                    options={
                        'db_table': 'tenants_fleetmigrationrun',
                        'ordering': ['-started_at'],
                    },
                ),
                migrations.CreateModel(
                    name='TenantArchive',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('tenant_slug', models.CharField(max_length=30)),
                        ('location', models.CharField(max_length=500)),
                        ('size_bytes', models.BigIntegerField()),
                        ('sha256', models.CharField(max_length=64)),
                        ('created_at', models.DateTimeField(auto_now_add=True)),
                        ('tenant', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='archives', to='tenants.tenant')),
                    ],
                    options={
                        'db_table': 'tenants_tenantarchive',
                        'ordering': ['-created_at'],
                        'get_latest_by': 'created_at',
                    },
                ),
                migrations.CreateModel(
                    name='TenantReportRow',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('metrics', models.JSONField(default=dict)),
                        ('schema_bytes', models.BigIntegerField(default=0)),
                        ('last_activity', models.DateTimeField(blank=True, null=True)),
                        ('collected_at', models.DateTimeField()),
                        ('tenant', models.OneToOneField(on_delete=django.db.models.deletion.CASCADE, related_name='report', to='tenants.tenant')),
                    ],
                    options={
                        'db_table': 'tenants_tenantreportrow',
                        'ordering': ['tenant__slug'],
                    },
                ),
                migrations.CreateModel(
                    name='FanOutResult',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('status', models.CharField(choices=[('queued', 'Queued'), ('running', 'Running'), ('ok', 'OK'), ('failed', 'Failed'), ('skipped', 'Skipped (tenant not active)')], default='queued', max_length=16)),
                        ('queue', models.CharField(max_length=100)),
                        ('result', models.JSONField(blank=True, null=True)),
                        ('error', models.TextField(blank=True)),
                        ('attempts', models.PositiveIntegerField(default=0)),
                        ('started_at', models.DateTimeField(blank=True, null=True)),
                        ('finished_at', models.DateTimeField(blank=True, null=True)),
                        ('holder', models.CharField(blank=True, help_text='Worker running it: host:pid:task id.', max_length=200)),
                        ('heartbeat_at', models.DateTimeField(blank=True, help_text='Refreshed while the job runs.', null=True)),
                        ('tenant', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='tenants.tenant')),
                        ('run', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='results', to='fleet.fanoutrun')),
                    ],
                    options={
                        'db_table': 'tenants_fanoutresult',
                        'ordering': ['run', 'tenant__slug'],
                        'constraints': [models.UniqueConstraint(fields=('run', 'tenant'), name='fanout_result_one_per_tenant')],
                    },
                ),
                migrations.CreateModel(
                    name='FleetMigrationRecord',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('schema_name', models.CharField(max_length=63)),
                        ('status', models.CharField(choices=[('pending', 'Pending'), ('running', 'Running'), ('ok', 'OK'), ('failed', 'Failed'), ('skipped', 'Skipped (run stopped)')], default='pending', max_length=16)),
                        ('method', models.CharField(blank=True, choices=[('executor', 'Django migration executor'), ('replay', 'Replayed SQL')], max_length=16)),
                        ('migrations', models.TextField(help_text='The migrations that were pending, one app.name per line.')),
                        ('error', models.TextField(blank=True)),
                        ('started_at', models.DateTimeField(blank=True, null=True)),
                        ('duration_ms', models.PositiveIntegerField(blank=True, null=True)),
                        ('tenant', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to='tenants.tenant')),
                        ('run', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='records', to='fleet.fleetmigrationrun')),
                    ],
                    options={
                        'db_table': 'tenants_fleetmigrationrecord',
                        'ordering': ['run', 'schema_name'],
                        'constraints': [models.UniqueConstraint(fields=('run', 'schema_name'), name='fleet_record_one_per_schema')],
                    },
                ),
                migrations.CreateModel(
                    name='TenantAuditEvent',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('tenant_slug', models.CharField(max_length=30)),
                        ('action', models.CharField(choices=[('suspend', 'Suspend'), ('resume', 'Resume'), ('backup', 'Backup'), ('restore', 'Restore'), ('archive', 'Archive'), ('delete', 'Hard delete')], max_length=16)),
                        ('actor', models.CharField(max_length=150)),
                        ('at', models.DateTimeField(auto_now_add=True)),
                        ('details', models.JSONField(blank=True, default=dict)),
                        ('tenant', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='audit_events', to='tenants.tenant')),
                    ],
                    options={
                        'db_table': 'tenants_tenantauditevent',
                        'ordering': ['-at'],
                        'indexes': [models.Index(fields=['tenant_slug', '-at'], name='audit_slug_at')],
                    },
                ),
            ],
            database_operations=[],
        ),
        _move_content_types('fleet', ['fanoutrun', 'fanoutresult', 'fleetmigrationrun', 'fleetmigrationrecord', 'tenantarchive', 'tenantauditevent', 'tenantreportrow']),
    ]
