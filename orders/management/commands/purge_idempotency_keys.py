"""Forget old Idempotency-Keys of one tenant: `manage.py tenant_command purge_idempotency_keys --schema=acme`
(or every tenant: `manage.py all_tenants_command purge_idempotency_keys`)."""

import datetime

from django.core.management.base import BaseCommand, CommandError, CommandParser

from core.errors import DomainError
from orders.services import idempotency_records_purge


class Command(BaseCommand):
    help = "Delete Idempotency-Key records older than --days (default 7) in the current tenant's schema."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--days", type=int, default=7)

    def handle(self, *args, days: int, **options) -> None:
        try:
            deleted = idempotency_records_purge(older_than=datetime.timedelta(days=days))
        except DomainError as exc:
            raise CommandError(exc.message) from None
        self.stdout.write(f"{deleted} idempotency key(s) older than {days} day(s) deleted")
