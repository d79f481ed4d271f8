"""The database refuses UPDATE, DELETE and TRUNCATE of audit entries, whoever asks (as for the stock ledger).

The function is created in the tenant's own schema (first on the search path while migrating), so it travels with
the schema into the provisioning template.
"""

from django.db import migrations

from core.sql import load_sql

CREATE = load_sql("audit", "auditentry_immutable_v1.sql")

DROP = """
DROP TRIGGER IF EXISTS audit_auditentry_no_truncate ON audit_auditentry;
DROP TRIGGER IF EXISTS audit_auditentry_immutable ON audit_auditentry;
DROP FUNCTION IF EXISTS audit_auditentry_immutable();
"""


class Migration(migrations.Migration):
    dependencies = [("audit", "0001_initial")]

    operations = [migrations.RunSQL(CREATE, reverse_sql=DROP)]
