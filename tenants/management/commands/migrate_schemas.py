"""django-tenants' `migrate_schemas`, refusing what it cannot do here: it migrates tenant schemas on the database it
runs on (the cell `default`, unless a caller switched cells) only. Asked to migrate tenants that live on other cells
(all of them, or one by `--schema`), it exits non-zero with one line naming those cells and `migrate_fleet`, which
migrates every cell; without this, their schemas were skipped with a warning meant for archived tenants
(fleet.executors). `--shared`, templates and spares (not tenants) and a single-server install are unchanged."""

from __future__ import annotations

from typing import Any

from django.core.management.base import CommandError
from django_tenants.management.commands.migrate_schemas import MigrateSchemasCommand

from cells.routing import current_cell
from tenants.models import Tenant


class Command(MigrateSchemasCommand):
    def handle(self, *args: Any, **options: Any) -> None:
        if not options.get("shared"):
            elsewhere = Tenant.objects.exclude(cell=current_cell())
            if options.get("schema_name"):
                elsewhere = elsewhere.filter(schema_name=options["schema_name"])
            cells = sorted(set(elsewhere.values_list("cell", flat=True)))
            if cells:
                count = elsewhere.count()
                raise CommandError(
                    f"{count} tenant{'s' if count != 1 else ''} live{'' if count != 1 else 's'} on cell"
                    f"{'s' if len(cells) != 1 else ''} {', '.join(cells)}, which migrate_schemas does not reach: "
                    "run `manage.py migrate_fleet` (every cell), or `migrate_schemas --shared` for the shared apps"
                )
        super().handle(*args, **options)
