from django.apps import AppConfig


class CoreConfig(AppConfig):
    """What every app needs, written once: domain errors, plain numbers and their fields, the service form and admin
    bases, the background-job base model and page, list sorting, API idempotency. Imports no business app."""

    name = "core"
    verbose_name = "Core"
