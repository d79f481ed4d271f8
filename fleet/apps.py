from django.apps import AppConfig


class FleetConfig(AppConfig):
    name = "fleet"
    verbose_name = "Fleet operations"

    def ready(self) -> None:
        from fleet import report  # noqa: F401  (registers the users and sign-in figures of the ops report)
