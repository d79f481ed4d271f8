from fleet.backup import tenant_backup
from fleet.management.tenant_command import TenantCommand
from tenants.models import Tenant


class Command(TenantCommand):
    help = "Back up one tenant (its schema alone, by pg_dump from a consistent snapshot, plus its registry row)."

    def add_options(self, parser) -> None:
        parser.add_argument("-o", "--output", required=True, help="file to write (.tar.gz); must not exist")

    def run(self, *, tenant: Tenant, options: dict) -> str:
        result = tenant_backup(tenant=tenant, path=options["output"], actor=options["actor"])
        rows = sum(t.rows for t in result.tables.values())
        return (
            f"backed up {tenant.slug}: {len(result.tables)} tables, {rows} rows, {result.size_bytes} bytes "
            f"to {result.path} (sha256 {result.sha256[:16]})"
        )
