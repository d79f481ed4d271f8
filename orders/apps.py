from django.apps import AppConfig


class OrdersConfig(AppConfig):
    name = "orders"

    def ready(self) -> None:
        from inventory.supply import register_supply_source
        from orders import selectors

        # Open purchase quantities count as on order in inventory's reorder report.
        register_supply_source("purchase_orders", selectors.on_order_quantities)
        _register_with_material_requirements(selectors)


def _register_with_material_requirements(selectors) -> None:
    """Open sales lines are demand, open purchase lines dated supply, in production's material requirements."""
    try:
        from production import mrp
    except ModuleNotFoundError as exc:  # production's registry is not in this build
        if exc.name not in {"production.mrp", "production"}:
            raise
        return

    def sales_demand() -> list:
        return [
            mrp.DemandLine(item_id=line.item_id, quantity=line.quantity, due_date=line.due_date, source=line.source)
            for line in selectors.open_sales_demand()
        ]

    def purchase_supply() -> list:
        return [
            mrp.SupplyLine(item_id=line.item_id, quantity=line.quantity, due_date=line.due_date, source=line.source)
            for line in selectors.open_purchase_supply()
        ]

    mrp.register_demand_source("sales_orders", sales_demand)
    # Under this name the report takes purchase supply from here (dated) instead of inventory's undated hook.
    mrp.register_supply_source(mrp.PURCHASE_SUPPLY, purchase_supply)
