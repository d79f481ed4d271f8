"""Demo data for `make run`: two tenants with their admins and an operations superuser, created only if missing,
and in each tenant a small plant (dashboard.demo_plant: items, BOMs, partners, stock, orders, work orders, an MRP
run), written once: a second run finds it and changes nothing.

The logins are fixed and public on purpose: they exist for a local demo. Never run this against production: with
DEBUG off (as in production) it refuses unless given --force, which `make run` and docker-compose.dev.yml pass.
"""

from dataclasses import dataclass

from django.core.management.base import BaseCommand, CommandError


@dataclass(frozen=True)
class DemoTenant:
    slug: str
    name: str
    plan: str
    admin_email: str
    admin_password: str

    @property
    def admin_username(self) -> str:
        # tenants.services.tenant_create names the first admin after the local part of the email.
        return self.admin_email.split("@", 1)[0]


DEMO_TENANTS = (
    DemoTenant("acme", "Acme Manufacturing", "standard", "admin@acme.example", "acme-demo-pass"),
    DemoTenant("globex", "Globex Industries", "premium", "admin@globex.example", "globex-demo-pass"),
)
# One user per non-admin role in each demo tenant (see access.roles): username = role, password <slug>-<role>-pass.
DEMO_ROLE_USERS = ("planner", "operator", "viewer")
_ROLE_OF_DEMO_USER = {"planner": "planner", "operator": "operator", "viewer": "read-only"}
# The operations admin at the bare domain (public schema).
OPS_LOGIN = ("ops", "ops-demo-pass")
OPS_EMAIL = "ops@example.com"


class Command(BaseCommand):
    help = (
        "Create the demo tenants acme and globex with a demo plant each and the operations superuser `ops`, "
        "skipping what exists."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--force", action="store_true", help="seed even with DEBUG off (a local stack, never production)"
        )

    def handle(self, *args, force: bool = False, **options) -> None:
        # Imported here so erp.localservices can read the logins above without setting Django up.
        from django.conf import settings
        from django.contrib.auth import get_user_model
        from django.db import connection

        if not settings.DEBUG and not force:
            raise CommandError(
                "seed_demo creates logins whose passwords are published; DEBUG is off, as in production, so it "
                "refuses (pass --force on a local stack)"
            )

        from core.errors import DomainError
        from tenants.models import Tenant
        from tenants.services import tenant_create, tenant_url

        connection.set_schema_to_public()
        for demo in DEMO_TENANTS:
            existing = Tenant.objects.filter(slug=demo.slug).first()
            if existing is not None:
                self.stdout.write(f"tenant {demo.slug} exists ({existing.status}); skipped")
                continue
            try:
                provisioned = tenant_create(
                    slug=demo.slug,
                    name=demo.name,
                    plan=demo.plan,
                    admin_email=demo.admin_email,
                    admin_password=demo.admin_password,
                )
            except DomainError as exc:
                raise CommandError(f"tenant {demo.slug}: {exc.message}") from None
            self.stdout.write(f"created tenant {demo.slug} at {provisioned.url}")
            self._role_users(provisioned.tenant, demo)

        for tenant in Tenant.objects.filter(slug__in=[demo.slug for demo in DEMO_TENANTS]).order_by("slug"):
            self._plant(tenant)

        connection.set_schema_to_public()
        username, password = OPS_LOGIN
        user_model = get_user_model()
        if user_model.objects.filter(username=username).exists():
            self.stdout.write(f"operations user {username} exists; skipped")
        else:
            user_model.objects.create_superuser(username=username, email=OPS_EMAIL, password=password)
            self.stdout.write(f"created operations user {username}")

        self.stdout.write("demo logins:")
        for demo in DEMO_TENANTS:
            url = tenant_url(demo.slug)
            self.stdout.write(f"  {url}admin/  {demo.admin_username} / {demo.admin_password} (admin)")
            for name in DEMO_ROLE_USERS:
                self.stdout.write(f"  {url}  {name} / {demo.slug}-{name}-pass ({_ROLE_OF_DEMO_USER[name]})")
        port = f":{settings.PUBLIC_PORT}" if getattr(settings, "PUBLIC_PORT", None) else ""
        self.stdout.write(f"  http://{settings.BASE_DOMAIN}{port}/admin/  {username} / {password} (operations)")

    def _plant(self, tenant) -> None:
        import time

        from django_tenants.utils import tenant_context

        from dashboard.demo_plant import demo_admin, seed_plant

        started = time.monotonic()
        with tenant_context(tenant):
            plant = seed_plant(user=demo_admin())
        if plant is None:
            self.stdout.write(f"tenant {tenant.slug}: demo plant exists; skipped")
        else:
            self.stdout.write(
                f"tenant {tenant.slug}: demo plant seeded ({plant.item_count} items, {plant.moves} stock moves) "
                f"in {time.monotonic() - started:.1f} s"
            )

    def _role_users(self, tenant, demo: DemoTenant) -> None:
        from django.contrib.auth import get_user_model
        from django_tenants.utils import tenant_context

        from access.services import user_set_role

        with tenant_context(tenant):
            users = get_user_model().objects
            admin = users.get(username=demo.admin_username)
            for name in DEMO_ROLE_USERS:
                user = users.create_user(
                    username=name, email=f"{name}@{demo.slug}.example", password=f"{demo.slug}-{name}-pass"
                )
                user_set_role(user=user, role=_ROLE_OF_DEMO_USER[name], by=admin)
