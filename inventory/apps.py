from django.apps import AppConfig


class InventoryConfig(AppConfig):
    name = "inventory"

    def ready(self) -> None:
        from customfields.registry import register_entity
        from inventory import fleet_metrics
        from tenants import reports

        register_entity("item", model_label="inventory.Item", column="attributes")

        # The ops report's columns (fleet.report): after the users count, in this order.
        reports.metric("items")(fleet_metrics.item_count)
        reports.metric("stock_moves")(fleet_metrics.stock_move_count)
        reports.activity("stock_move")(fleet_metrics.last_stock_move)
