"""The database refuses UPDATE, DELETE and TRUNCATE of audit entries, whoever asks (as for the stock ledger).

The function is created in the tenant's own schema (first on the search path while migrating), so it travels with
the schema into the provisioning template.
"""

from django.db import migrations

CREATE = """
CREATE FUNCTION audit_auditentry_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit entries are immutable: % refused', TG_OP
        USING ERRCODE = 'restrict_violation';
END
$$;
CREATE TRIGGER audit_auditentry_immutable
    BEFORE UPDATE OR DELETE ON audit_auditentry
    FOR EACH ROW EXECUTE FUNCTION audit_auditentry_immutable();
CREATE TRIGGER audit_auditentry_no_truncate
    BEFORE TRUNCATE ON audit_auditentry
    FOR EACH STATEMENT EXECUTE FUNCTION audit_auditentry_immutable();
"""

DROP = """
DROP TRIGGER IF EXISTS audit_auditentry_no_truncate ON audit_auditentry;
DROP TRIGGER IF EXISTS audit_auditentry_immutable ON audit_auditentry;
DROP FUNCTION IF EXISTS audit_auditentry_immutable();
"""


class Migration(migrations.Migration):
    dependencies = [("audit", "0001_initial")]

    operations = [migrations.RunSQL(CREATE, reverse_sql=DROP)]
