"""`manage.py usage_rollup`: what the beat task does, by hand (fleet.usage)."""

from django.core.management.base import BaseCommand

from fleet.usage import usage_rollup


class Command(BaseCommand):
    help = "Roll the per-tenant meters in Redis up into today's and yesterday's TenantUsageDay rows."

    def handle(self, *args, **options) -> None:
        result = usage_rollup()
        days = ", ".join(day.isoformat() for day in result.days)
        self.stdout.write(f"usage rollup: {result.rows} rows for {days}")
