from django.apps import AppConfig


class AccessConfig(AppConfig):
    """Integrator access to a tenant's API: tenant-bound JWTs, API keys (later: roles, audit)."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "access"

    def ready(self) -> None:
        from access import schema  # noqa: F401  (registers the OpenAPI security schemes)
