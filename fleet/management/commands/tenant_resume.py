from fleet.management.tenant_command import TenantCommand
from fleet.offboarding import tenant_resume
from tenants.models import Tenant


class Command(TenantCommand):
    help = "Resume a suspended tenant."

    def add_options(self, parser) -> None:
        parser.add_argument("--reason", default="", help="recorded in the audit trail")

    def run(self, *, tenant: Tenant, options: dict) -> str:
        tenant = tenant_resume(tenant=tenant, actor=options["actor"], reason=options["reason"])
        return f"tenant {tenant.slug} is {tenant.status}"
