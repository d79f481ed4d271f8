import getpass

from django.core.management.base import BaseCommand, CommandError

from cells.routing import UnknownCell, cell_spec
from core.errors import DomainError
from fleet.backup import set_password_links, tenant_restore


class Command(BaseCommand):
    help = (
        "Restore a tenant from a tenant_backup file, under its own slug or --as another; the file is verified whole "
        "first and every table after. A --as copy keeps no credential: API keys revoked, passwords to be set again."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("file")
        parser.add_argument("--as", dest="as_slug", metavar="SLUG", help="restore as a new tenant with this slug")
        parser.add_argument("--replace", action="store_true", help="overwrite an existing tenant of that slug")
        parser.add_argument("--actor", default=f"cli:{getpass.getuser()}", help="who runs this (audited)")
        parser.add_argument(
            "--cell", help="cell for a new tenant (default: the placement policy's; a revived one keeps its cell)"
        )

    def handle(self, *args, **options) -> None:
        if options["cell"] is not None:
            try:
                cell_spec(options["cell"])
            except UnknownCell as exc:
                raise CommandError(exc.message, returncode=2) from None
        try:
            tenant = tenant_restore(
                path=options["file"], actor=options["actor"], as_slug=options["as_slug"], replace=options["replace"],
                cell=options["cell"],
            )  # fmt: skip
        except DomainError as exc:
            raise CommandError(exc.message) from None
        domains = ", ".join(tenant.domains.values_list("domain", flat=True))
        self.stdout.write(
            f"restored tenant {tenant.slug} (schema {tenant.schema_name}, cell {tenant.cell}) at {domains}"
        )
        if options["as_slug"]:
            self.stdout.write("a copy keeps no credential of the original: API keys revoked, passwords to be set again")
            self.stdout.write("one-time links for its admins to set a password:")
            for username, link in set_password_links(tenant).items():
                self.stdout.write(f"  {username}: {link}")
