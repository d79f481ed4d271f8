from django.apps import AppConfig


class CustomFieldsConfig(AppConfig):
    """Fields a tenant admin adds to items, partners and orders: the definitions, and the one rule that validates the
    values every service writes. A tenant platform app: it names entities by a string key ("item", "partner",
    "sales_order", "purchase_order") and imports no business app; those register their model and column in their
    `AppConfig.ready` (`customfields.registry.register_entity`)."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "customfields"
    verbose_name = "Custom fields"
