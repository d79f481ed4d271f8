import getpass

from django.core.management.base import BaseCommand, CommandError

from core.errors import DomainError
from fleet.offboarding import tenant_hard_delete
from tenants.models import Tenant


class Command(BaseCommand):
    help = "Delete a tenant for good (schema, registry row, domains). Requires --confirm <slug>."

    def add_arguments(self, parser) -> None:
        parser.add_argument("slug")
        parser.add_argument("--confirm", default="", metavar="SLUG", help="the tenant's slug, typed again")
        parser.add_argument("--actor", default=f"cli:{getpass.getuser()}", help="who runs this (audited)")

    def handle(self, *args, **options) -> None:
        tenant = Tenant.objects.filter(slug=options["slug"]).first()
        if tenant is None:
            raise CommandError(f"no tenant {options['slug']!r}")
        try:
            tenant_hard_delete(tenant=tenant, actor=options["actor"], confirm=options["confirm"])
        except DomainError as exc:
            raise CommandError(exc.message) from None
        self.stdout.write(f"deleted tenant {options['slug']} for good")
