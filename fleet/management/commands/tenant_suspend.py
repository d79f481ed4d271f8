from fleet.management.tenant_command import TenantCommand
from fleet.offboarding import tenant_suspend
from tenants.models import Tenant


class Command(TenantCommand):
    help = "Suspend a tenant: its host answers 'suspended', its tasks are refused, its data is kept."

    def add_options(self, parser) -> None:
        parser.add_argument("--reason", default="", help="recorded in the audit trail")

    def run(self, *, tenant: Tenant, options: dict) -> str:
        tenant = tenant_suspend(tenant=tenant, actor=options["actor"], reason=options["reason"])
        return f"tenant {tenant.slug} is {tenant.status}"
