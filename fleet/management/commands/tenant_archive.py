import getpass

from django.core.management.base import BaseCommand, CommandError

from core.errors import DomainError
from fleet.offboarding import tenant_archive
from tenants.models import Tenant


class Command(BaseCommand):
    help = "Archive a tenant: backup file first (TENANT_ARCHIVE_DIR or -o), then its schema is dropped; row kept."

    def add_arguments(self, parser) -> None:
        parser.add_argument("slug")
        parser.add_argument("-o", "--output", help="archive file (default: TENANT_ARCHIVE_DIR/<slug>-<time>.tar.gz)")
        parser.add_argument("--reason", default="", help="recorded in the audit trail")
        parser.add_argument("--actor", default=f"cli:{getpass.getuser()}", help="who runs this (audited)")

    def handle(self, *args, **options) -> None:
        tenant = Tenant.objects.filter(slug=options["slug"]).first()
        if tenant is None:
            raise CommandError(f"no tenant {options['slug']!r}")
        try:
            archive = tenant_archive(
                tenant=tenant, actor=options["actor"], path=options["output"], reason=options["reason"]
            )
        except DomainError as exc:
            raise CommandError(exc.message) from None
        self.stdout.write(f"archived tenant {tenant.slug}: schema dropped, data in {archive.location}")
