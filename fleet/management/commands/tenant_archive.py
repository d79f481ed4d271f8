from fleet.management.tenant_command import TenantCommand
from fleet.offboarding import tenant_archive
from tenants.models import Tenant


class Command(TenantCommand):
    help = "Archive a tenant: backup file first (TENANT_ARCHIVE_DIR or -o), then its schema is dropped; row kept."

    def add_options(self, parser) -> None:
        parser.add_argument("-o", "--output", help="archive file (default: TENANT_ARCHIVE_DIR/<slug>-<time>.tar.gz)")
        parser.add_argument("--reason", default="", help="recorded in the audit trail")

    def run(self, *, tenant: Tenant, options: dict) -> str:
        archive = tenant_archive(
            tenant=tenant, actor=options["actor"], path=options["output"], reason=options["reason"]
        )
        return f"archived tenant {tenant.slug}: schema dropped, data in {archive.location}"
