"""The shape every one-tenant fleet command shares: a slug, an audited actor, one service, one line out."""

import getpass

from django.core.management.base import BaseCommand, CommandError

from core.errors import DomainError
from tenants.models import Tenant


class TenantCommand(BaseCommand):
    """Look the tenant up by slug, run one fleet service on it; a refusal is a one-line CommandError, never a trace.

    A subclass adds its own options in `add_options` and returns the line to print from `run`.
    """

    def add_arguments(self, parser) -> None:
        parser.add_argument("slug")
        self.add_options(parser)
        parser.add_argument("--actor", default=f"cli:{getpass.getuser()}", help="who runs this (audited)")

    def add_options(self, parser) -> None:
        """The command's own options, between the slug and --actor."""

    def run(self, *, tenant: Tenant, options: dict) -> str:
        raise NotImplementedError

    def handle(self, *args, **options) -> None:
        tenant = Tenant.objects.filter(slug=options["slug"]).first()
        if tenant is None:
            raise CommandError(f"no tenant {options['slug']!r}")
        try:
            line = self.run(tenant=tenant, options=options)
        except DomainError as exc:
            raise CommandError(exc.message) from None
        self.stdout.write(line)
