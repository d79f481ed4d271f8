import csv

from django.core.management.base import BaseCommand

from fleet.jobs import stuck_results
from fleet.migrator import close_abandoned_runs
from fleet.report import collect_fleet_report, report_columns, report_rows


class Command(BaseCommand):
    help = (
        "Gather per-tenant figures (counts, schema size, last activity), store them for the admin, print them; "
        "close fleet migrations abandoned by a dead process and list stuck fan-out work."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--csv", action="store_true", help="print CSV")
        parser.add_argument("--stored", action="store_true", help="print what was last gathered, gather nothing")

    def handle(self, *args, **options) -> None:
        if not options["stored"]:
            collect_fleet_report()
        columns = report_columns()
        rows = report_rows()
        if options["csv"]:
            writer = csv.DictWriter(self.stdout, fieldnames=columns, lineterminator="\n")
            writer.writeheader()
            writer.writerows(rows)
        else:
            for row in rows:
                self.stdout.write("  ".join(f"{key}={row[key]}" for key in columns if row[key] not in (None, "")))
        self._health(self.stderr if options["csv"] else self.stdout)

    def _health(self, out) -> None:
        """Runs whose process died (closed now) and fan-out work that is not moving."""
        for run in close_abandoned_runs():
            out.write(f"closed fleet migration #{run.pk}: {run.summary}")
        for result, why in stuck_results():
            out.write(f"stuck: fan-out #{result.run_id} {result.run.job} for {result.tenant.slug}: {why}")
