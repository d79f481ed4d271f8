from fleet.management.tenant_command import TenantCommand
from fleet.offboarding import tenant_hard_delete
from tenants.models import Tenant


class Command(TenantCommand):
    help = "Delete a tenant for good (schema, registry row, domains). Requires --confirm <slug>."

    def add_options(self, parser) -> None:
        parser.add_argument("--confirm", default="", metavar="SLUG", help="the tenant's slug, typed again")

    def run(self, *, tenant: Tenant, options: dict) -> str:
        tenant_hard_delete(tenant=tenant, actor=options["actor"], confirm=options["confirm"])
        return f"deleted tenant {options['slug']} for good"
