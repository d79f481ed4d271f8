from django.apps import AppConfig


class TenantsConfig(AppConfig):
    name = "tenants"
    verbose_name = "Tenant registry"

    def ready(self) -> None:
        from tenants import signals  # noqa: F401  (connects routing-cache invalidation)
