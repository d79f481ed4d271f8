"""The fleet migration runner: bring every tenant schema (and the provisioning template) up to the code's migrations.

Plan once, apply per schema. Schemas are grouped by the set of migrations they have applied (one query per 200
schemas compares a digest of each schema's `django_migrations` with the code's, so up-to-date schemas cost nothing
more). For each group the first schema (the canary, for the main group) is migrated by Django's own migration
executor while every statement its schema editor executes is recorded; every other schema of the group then gets
that recorded SQL replayed, with the same `django_migrations` rows, in its own transaction. Replay is exact because
the statements name tables without a schema (the search path picks the tenant's) and constraint/index names Django
introspected on the canary are the same in every schema built by the same migrations.

A group whose plan cannot be replayed (a RunPython operation or a non-atomic migration in a tenant app) is
migrated schema by schema with the executor. A replay that fails is retried once with the executor before the
schema is recorded as failed. Every schema is migrated in one transaction: a failure leaves it wholly on its old
state, is recorded with its error, and never stops the others. Only a failing canary stops the run.
"""

from fleet.migrator.plan import FleetMigrationError, FleetPlan, Group, Target, fleet_plan, fleet_targets
from fleet.migrator.runs import close_abandoned_runs, run_fleet_migration, run_fleet_migration_on_cells

__all__ = [
    "FleetMigrationError",
    "FleetPlan",
    "Group",
    "Target",
    "close_abandoned_runs",
    "fleet_plan",
    "fleet_targets",
    "run_fleet_migration",
    "run_fleet_migration_on_cells",
]
