import csv

from django.core.management.base import BaseCommand

from tenants.fleet.report import collect_fleet_report, report_columns, report_rows


class Command(BaseCommand):
    help = "Gather per-tenant figures (counts, schema size, last activity), store them for the admin, print them."

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
            return
        for row in rows:
            self.stdout.write("  ".join(f"{key}={row[key]}" for key in columns if row[key] not in (None, "")))
