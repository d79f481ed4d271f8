from django.core.management.base import BaseCommand, CommandError

from cells.routing import UnknownCell, cell_spec, on_cell
from core.errors import DomainError
from tenants.models import Tenant
from tenants.schema_template import refill_spare_schemas
from tenants.services import ProvisioningMethod, tenant_create


class Command(BaseCommand):
    help = "Provision a tenant: schema with every tenant table, its domain and its first admin user."

    def add_arguments(self, parser) -> None:
        parser.add_argument("slug", help="subdomain, e.g. acme for acme.<BASE_DOMAIN>")
        parser.add_argument("--name", required=True, help="display name")
        parser.add_argument("--admin-email", required=True)
        parser.add_argument("--admin-password", help="default: none; a one-time link to set it is printed")
        parser.add_argument("--plan", default=Tenant.Plan.FREE, choices=Tenant.Plan.values)
        parser.add_argument(
            "--method",
            default=ProvisioningMethod.TEMPLATE.value,
            choices=[m.value for m in ProvisioningMethod],
            help="template (fast, default) or migrations (replay every migration)",
        )
        parser.add_argument("--cell", help="the cell (database) to put it on; default: the placement policy's choice")

    def handle(self, *args, **options) -> None:
        if options["cell"] is not None:
            try:
                cell_spec(options["cell"])
            except UnknownCell as exc:
                raise CommandError(exc.message, returncode=2) from None
        try:
            provisioned = tenant_create(
                slug=options["slug"],
                name=options["name"],
                admin_email=options["admin_email"],
                admin_password=options["admin_password"],
                plan=options["plan"],
                method=ProvisioningMethod(options["method"]),
                cell=options["cell"],
            )
        except DomainError as exc:
            raise CommandError(exc.message) from None
        self.stdout.write(
            f"created tenant {provisioned.tenant.slug} at {provisioned.url} (cell {provisioned.tenant.cell})"
        )
        if provisioned.admin_password:
            self.stdout.write(
                f"admin login: {provisioned.admin_username} / {provisioned.admin_password} ({provisioned.url}admin/)"
            )
        else:
            self.stdout.write(f"admin {provisioned.admin_username}: set a password at {provisioned.set_password_url}")
        # The tenant is live; now rebuild the spare schema it used, off its critical path.
        with on_cell(provisioned.tenant.cell):
            refill_spare_schemas()
