import getpass

from django.core.management.base import BaseCommand, CommandError

from core.errors import DomainError
from fleet.backup import tenant_backup
from tenants.models import Tenant


class Command(BaseCommand):
    help = "Back up one tenant (its schema alone, by pg_dump from a consistent snapshot, plus its registry row)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("slug")
        parser.add_argument("-o", "--output", required=True, help="file to write (.tar.gz); must not exist")
        parser.add_argument("--actor", default=f"cli:{getpass.getuser()}", help="who runs this (audited)")

    def handle(self, *args, **options) -> None:
        tenant = Tenant.objects.filter(slug=options["slug"]).first()
        if tenant is None:
            raise CommandError(f"no tenant {options['slug']!r}")
        try:
            result = tenant_backup(tenant=tenant, path=options["output"], actor=options["actor"])
        except DomainError as exc:
            raise CommandError(exc.message) from None
        rows = sum(t.rows for t in result.tables.values())
        self.stdout.write(
            f"backed up {tenant.slug}: {len(result.tables)} tables, {rows} rows, {result.size_bytes} bytes "
            f"to {result.path} (sha256 {result.sha256[:16]})"
        )
