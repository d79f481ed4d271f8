import getpass

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from core.errors import DomainError
from fleet import migrator as fleet
from fleet.models import FleetMigrationRecord, RunStatus


class Command(BaseCommand):
    help = (
        "Migrate every tenant schema and the provisioning template: a canary first (stops if it fails), then the "
        "rest, each schema in its own transaction, recorded per schema in the public admin. Exit status 1 if any "
        "schema failed."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--dry-run", action="store_true", help="list the pending migrations per schema and stop")
        parser.add_argument("--canary", metavar="SLUG", help="tenant migrated first (default: from the largest group)")
        parser.add_argument("--concurrency", type=int, default=4, help="schemas migrated at once (default 4)")
        parser.add_argument(
            "--retry-failed",
            action="store_true",
            help="only what the last run left undone: failed, cut off or not reached",
        )
        parser.add_argument("--schema", action="append", dest="schemas", help="only this schema (repeatable)")
        parser.add_argument("--lock-timeout", type=float, default=10.0, help="seconds to wait for a table lock")
        parser.add_argument("--skip-shared", action="store_true", help="do not migrate the public schema first")
        parser.add_argument("--actor", default=f"cli:{getpass.getuser()}", help="who runs this (recorded)")

    def handle(self, *args, **options) -> None:
        try:
            if options["dry_run"]:
                self._dry_run(options["schemas"])
                return
            if not options["skip_shared"]:
                call_command("migrate_schemas", shared=True, interactive=False, verbosity=0)
            run = fleet.run_fleet_migration(
                actor=options["actor"],
                canary_slug=options["canary"],
                concurrency=options["concurrency"],
                retry_failed=options["retry_failed"],
                schemas=options["schemas"],
                lock_timeout=options["lock_timeout"],
                progress=lambda line: self.stdout.write(line),
            )
        except DomainError as exc:
            raise CommandError(exc.message) from None
        failed = run.records.filter(status=FleetMigrationRecord.Status.FAILED)
        for record in failed:
            self.stderr.write(f"failed: {record.schema_name}: {record.error.splitlines()[0] if record.error else ''}")
        self.stdout.write(f"fleet migration #{run.pk} {run.status}: {run.summary}")
        if run.status != RunStatus.OK:
            raise CommandError(f"fleet migration #{run.pk} {run.status}; fix and rerun with --retry-failed")

    def _dry_run(self, schemas: list[str] | None) -> None:
        plan = fleet.fleet_plan(fleet.fleet_targets(schemas=schemas))
        for target, group in plan.pending():
            self.stdout.write(f"{target.label} [{target.schema_name}]: {', '.join(group.names)}")
        for schema_name, reason in plan.broken.items():
            self.stdout.write(f"{schema_name}: cannot migrate: {reason}")
        pending = len(plan.pending())
        self.stdout.write(f"{pending} schema(s) with pending migrations, {plan.up_to_date} up to date")
