"""Fleet operations: everything ops does to many tenant schemas at once, run from manage.py, recorded in public.

- migrations: the fleet migration runner (`manage.py migrate_fleet`)
- executors: django-tenants' `migrate_schemas`, minus tenants whose schema no longer exists
"""
