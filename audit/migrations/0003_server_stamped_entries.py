"""Audit entries get their tenant and time from the database server, not from whoever inserts them.

A BEFORE INSERT trigger sets `tenant` to the schema the entry is stored in and `created_at` to now() (the
transaction's start), whatever the statement sent. Who the acting user is (user id and username) stays the
application's claim (the tenant role is the application's); what cannot be forged is where and when. The function
runs no dynamic SQL: a backup restore refuses any dump that holds some (fleet.backup.sql). The table's owner (the login role: migrations, backup restore, fleet tooling)
writes entries as given, so a restored log keeps its original times.

The tenant role may only SELECT and INSERT entries (settings.TENANT_DB_ROLE_TABLE_PRIVILEGES); the trigger of 0002
still refuses UPDATE, DELETE and TRUNCATE to everyone. The function names no schema (its search path is
pg_catalog only), so it travels with the schema into the provisioning template and copies of it.
"""

from django.db import migrations

from core.sql import load_sql

CREATE = load_sql("audit", "auditentry_stamp_v1.sql")

DROP = """
DROP TRIGGER IF EXISTS audit_auditentry_stamp ON audit_auditentry;
DROP FUNCTION IF EXISTS audit_auditentry_stamp();
"""


def restrict(apps, schema_editor) -> None:
    from tenants.db_roles import restrict_tenant_role

    restrict_tenant_role(schema_editor.connection.schema_name)


class Migration(migrations.Migration):
    dependencies = [("audit", "0002_auditentry_immutable_trigger")]

    operations = [
        migrations.RunSQL(CREATE, reverse_sql=DROP),
        migrations.RunPython(restrict, migrations.RunPython.noop),
    ]
