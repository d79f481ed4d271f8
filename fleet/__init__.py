"""Fleet operations: what ops does to many tenant schemas at once, run from manage.py, recorded in public tables.

- migrations:  the fleet migration runner (`migrate_fleet`): canary, plan once per group, replay per schema
- executors:   django-tenants' `migrate_schemas`, minus tenants whose schema no longer exists
- backup:      `tenant_backup` / `tenant_restore`, one verified file per tenant
- offboarding: audited suspend, resume, archive, hard delete (`tenant_suspend` ... `tenant_delete`)
- jobs:        fan-out of a named job to every active tenant over Celery, fairly scheduled (`fan_out`)
- report:      the cross-tenant ops report, pluggable metrics (`fleet_report`)
- audit:       the audit trail every offboarding step writes
"""
