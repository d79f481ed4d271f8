import getpass

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from cells.routing import UnknownCell, cell_names, cell_spec, on_cell
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
        parser.add_argument(
            "--cell",
            action="append",
            dest="cells",
            help="only this cell (repeatable; default: every cell, each in parallel with --concurrency of its own)",
        )

    def handle(self, *args, **options) -> None:
        if settings.CELLS or options["cells"]:
            self._on_cells(options)
            return
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

    def _on_cells(self, options) -> None:
        cells = options["cells"] or cell_names()
        for name in cells:
            try:
                cell_spec(name)
            except UnknownCell as exc:
                raise CommandError(exc.message, returncode=2) from None
        if options["dry_run"]:
            for name in cells:
                with on_cell(name):
                    self.stdout.write(f"cell {name}:")
                    self._dry_run(options["schemas"])
            return
        outcomes = fleet.run_fleet_migration_on_cells(
            cells=cells,
            migrate_shared=not options["skip_shared"],
            actor=options["actor"],
            canary_slug=options["canary"],
            concurrency=options["concurrency"],
            retry_failed=options["retry_failed"],
            schemas=options["schemas"],
            lock_timeout=options["lock_timeout"],
            progress=lambda line: self.stdout.write(line),
        )
        bad = []
        for name, outcome in outcomes.items():
            if isinstance(outcome, BaseException):
                message = (
                    outcome.message if isinstance(outcome, DomainError) else f"{type(outcome).__name__}: {outcome}"
                )
                self.stderr.write(f"cell {name}: not migrated: {message}")
                bad.append(name)
                continue
            for record in outcome.records.filter(status=FleetMigrationRecord.Status.FAILED):
                self.stderr.write(f"failed: [{name}] {record.schema_name}: {(record.error or '').splitlines()[:1]}")
            self.stdout.write(f"cell {name}: fleet migration #{outcome.pk} {outcome.status}: {outcome.summary}")
            if outcome.status != RunStatus.OK:
                bad.append(name)
        if bad:
            raise CommandError(f"cells not fully migrated: {', '.join(bad)}; fix and rerun with --retry-failed")

    def _dry_run(self, schemas: list[str] | None) -> None:
        plan = fleet.fleet_plan(fleet.fleet_targets(schemas=schemas))
        for target, group in plan.pending():
            self.stdout.write(f"{target.label} [{target.schema_name}]: {', '.join(group.names)}")
        for schema_name, reason in plan.broken.items():
            self.stdout.write(f"{schema_name}: cannot migrate: {reason}")
        pending = len(plan.pending())
        self.stdout.write(f"{pending} schema(s) with pending migrations, {plan.up_to_date} up to date")
