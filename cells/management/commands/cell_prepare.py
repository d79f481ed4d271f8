from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from cells.routing import UnknownCell, cell_spec
from cells.services import cell_prepare


class Command(BaseCommand):
    help = "Migrate the public schema of each cell (default: every configured cell), refresh its template and spares."

    def add_arguments(self, parser) -> None:
        parser.add_argument("cells", nargs="*", help="cell names from CELLS (default: all of them)")
        parser.add_argument("--spares", type=int, help="spare schemas to keep ready (default: TENANT_SPARE_SCHEMAS)")

    def handle(self, *args, **options) -> None:
        names = options["cells"] or list(settings.CELLS)
        for name in names:
            try:
                cell_spec(name)
            except UnknownCell as exc:
                raise CommandError(exc.message, returncode=2) from None
        for name in names:
            prepared = cell_prepare(name=name, spares=options["spares"])
            self.stdout.write(
                f"cell {name}: migrated, template {prepared.template_fingerprint[:12]}, "
                f"{prepared.spares_built} spare schema(s) built"
            )
