"""Fleet operations: what ops does to many tenant schemas at once, run from manage.py, recorded in public tables.

A shared app above the tenancy core (`tenants`); it imports no tenant app, and reads their figures through the
registry they fill (`tenants.reports`).

- migrator/:   the fleet migration runner (`migrate_fleet`): plan (groups by applied migrations), apply (executor
               with recording, replay), runner (canary, template, the rest in parallel), runs (lock, abandoned runs)
- executors:   django-tenants' `migrate_schemas`, minus tenants whose schema no longer exists
- backup/:     `tenant_backup` / `tenant_restore`, one verified file per tenant: archive (the file), snapshot (taking
               it), sql (checking and running the dump), restore
- offboarding: audited suspend, resume, archive, hard delete (`tenant_suspend` ... `tenant_delete`)
- jobs:        fan-out of a named job to every active tenant over Celery, fairly scheduled (`fan_out`)
- report:      the cross-tenant ops report (`fleet_report`)
- audit:       the audit trail every offboarding step writes
"""
