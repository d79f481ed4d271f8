"""Fleet operations and support sessions moved to apps of their own (fleet, support): their models leave this
app's state only; the tables stay where they are, now owned by those apps' state (Meta.db_table)."""

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('tenants', '0006_registry_version'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.RemoveConstraint(
                    model_name='fanoutresult',
                    name='fanout_result_one_per_tenant',
                ),
                migrations.RemoveConstraint(
                    model_name='fleetmigrationrecord',
                    name='fleet_record_one_per_schema',
                ),
                migrations.RemoveField(
                    model_name='fleetmigrationrun',
                    name='retry_of',
                ),
                migrations.RemoveField(
                    model_name='supportevent',
                    name='grant',
                ),
                migrations.RemoveConstraint(
                    model_name='supportgrant',
                    name='support_expires_later',
                ),
                migrations.RemoveField(
                    model_name='tenantarchive',
                    name='tenant',
                ),
                migrations.RemoveIndex(
                    model_name='tenantauditevent',
                    name='audit_slug_at',
                ),
                migrations.RemoveField(
                    model_name='tenantreportrow',
                    name='tenant',
                ),
                migrations.RemoveField(
                    model_name='fanoutresult',
                    name='run',
                ),
                migrations.RemoveField(
                    model_name='fanoutresult',
                    name='tenant',
                ),
                migrations.RemoveField(
                    model_name='fleetmigrationrecord',
                    name='run',
                ),
                migrations.RemoveField(
                    model_name='fleetmigrationrecord',
                    name='tenant',
                ),
                migrations.DeleteModel(
                    name='SupportEvent',
                ),
                migrations.RemoveField(
                    model_name='supportgrant',
                    name='tenant',
                ),
                migrations.DeleteModel(
                    name='TenantArchive',
                ),
                migrations.RemoveField(
                    model_name='tenantauditevent',
                    name='tenant',
                ),
                migrations.DeleteModel(
                    name='TenantReportRow',
                ),
                migrations.DeleteModel(
                    name='FanOutRun',
                ),
                migrations.DeleteModel(
                    name='FanOutResult',
                ),
                migrations.DeleteModel(
                    name='FleetMigrationRun',
                ),
                migrations.DeleteModel(
                    name='FleetMigrationRecord',
                ),
                migrations.DeleteModel(
                    name='SupportGrant',
                ),
                migrations.DeleteModel(
                    name='TenantAuditEvent',
                ),
            ],
            database_operations=[],
        ),
    ]
