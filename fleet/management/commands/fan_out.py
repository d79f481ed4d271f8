import getpass
import json

from django.core.management.base import BaseCommand, CommandError

from core.errors import DomainError
from fleet.jobs import JOBS, fan_out, run_summary, wait_for_run


class Command(BaseCommand):
    help = "Run a named job in every active tenant: one Celery task per tenant on its plan's queue, each recorded."

    def add_arguments(self, parser) -> None:
        parser.add_argument("job", nargs="?", help="job name (omit with --list)")
        parser.add_argument("--list", action="store_true", help="list the registered jobs")
        parser.add_argument("--param", action="append", default=[], metavar="KEY=VALUE", help="job parameter")
        parser.add_argument("--wait", type=float, default=0, metavar="SECONDS", help="wait for every result")
        parser.add_argument("--actor", default=f"cli:{getpass.getuser()}", help="who runs this (recorded)")

    def handle(self, *args, **options) -> None:
        if options["list"] or not options["job"]:
            for job in JOBS.values():
                self.stdout.write(f"{job.name}: {job.description}")
            return
        params = {}
        for pair in options["param"]:
            key, sep, value = pair.partition("=")
            if not sep:
                raise CommandError(f"--param {pair!r}: write KEY=VALUE")
            params[key] = value
        try:
            run = fan_out(job=options["job"], actor=options["actor"], params=params)
        except DomainError as exc:
            raise CommandError(exc.message) from None
        self.stdout.write(f"fan-out #{run.pk} {run.job}: sent to {run.tenant_count} active tenant(s)")
        if options["wait"]:
            finished = wait_for_run(run, timeout=options["wait"])
            for result in run.results.select_related("tenant"):
                detail = json.dumps(result.result) if result.result is not None else result.error
                self.stdout.write(f"{result.tenant.slug}: {result.status} {detail}")
            summary = run_summary(run)
            self.stdout.write(", ".join(f"{n} {status}" for status, n in sorted(summary.items())))
            if not finished or summary.get("failed"):
                raise CommandError(f"fan-out #{run.pk}: not every tenant finished ok")
