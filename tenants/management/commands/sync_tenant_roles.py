from django.core.management.base import BaseCommand, CommandError

from tenants import db_roles


class Command(BaseCommand):
    help = (
        "Create or refresh every tenant's PostgreSQL role and grants (idempotent): after upgrading to tenant roles, "
        "or after migrations run by a different login role."
    )

    def handle(self, *args, **options) -> None:
        if not db_roles.enabled():
            raise CommandError("TENANT_DB_ROLES is off: tenant roles are not in use")
        roles = db_roles.sync_tenant_roles()
        self.stdout.write(f"{len(roles)} tenant role(s) in place")
