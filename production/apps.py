from django.apps import AppConfig


class ProductionConfig(AppConfig):
    name = "production"

    def ready(self) -> None:
        from production import mrp, selectors

        mrp.register_demand_source("work_orders", selectors.open_work_order_demand)
        mrp.register_supply_source("work_orders", selectors.open_work_order_supply)
