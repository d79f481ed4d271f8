import getpass

from django.core.management.base import BaseCommand, CommandError

from core.errors import DomainError
from fleet.offboarding import tenant_resume
from tenants.models import Tenant


class Command(BaseCommand):
    help = "Resume a suspended tenant."

    def add_arguments(self, parser) -> None:
        parser.add_argument("slug")
        parser.add_argument("--reason", default="", help="recorded in the audit trail")
        parser.add_argument("--actor", default=f"cli:{getpass.getuser()}", help="who runs this (audited)")

    def handle(self, *args, **options) -> None:
        tenant = Tenant.objects.filter(slug=options["slug"]).first()
        if tenant is None:
            raise CommandError(f"no tenant {options['slug']!r}")
        try:
            tenant = tenant_resume(tenant=tenant, actor=options["actor"], reason=options["reason"])
        except DomainError as exc:
            raise CommandError(exc.message) from None
        self.stdout.write(f"tenant {tenant.slug} is {tenant.status}")
