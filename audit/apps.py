from django.apps import AppConfig


class AuditConfig(AppConfig):
    """Who changed what in this tenant: an append-only log written by the services, read by tenant admins."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "audit"
