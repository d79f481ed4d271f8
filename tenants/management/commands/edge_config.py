from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from tenants import edge


class Command(BaseCommand):
    help = (
        "Write the edge's nginx.conf (per-credential API limits by plan, in front of gunicorn) from the tenant "
        "registry; apply a rewrite with `nginx -c <file> -s reload`."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--listen", default="0.0.0.0:8000", help="address nginx listens on")
        parser.add_argument("--upstream", default="127.0.0.1:8001", help="gunicorn's address")
        parser.add_argument("--dir", default=".data/edge", help="directory for nginx.conf, its pid, log and buffers")

    def handle(self, *args, **options) -> None:
        for name in ("listen", "upstream"):
            host, _, port = options[name].rpartition(":")
            if not host or not port.isdigit():
                raise CommandError(f"--{name} must be host:port, not {options[name]!r}")
        try:
            path = edge.write_config(
                listen=options["listen"], upstream=options["upstream"], run_dir=Path(options["dir"])
            )
        except OSError as exc:
            raise CommandError(f"cannot write the edge config under {options['dir']}: {exc.strerror}") from None
        self.stdout.write(str(path))
