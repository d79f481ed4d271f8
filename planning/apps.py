from django.apps import AppConfig


class PlanningConfig(AppConfig):
    name = "planning"

    def ready(self) -> None:
        from inventory.supply import set_on_order_provider
        from planning import firm_orders, sources, work_orders

        # Open work orders: their components are demand, their finished item is supply (made).
        sources.register(sources.Kind.DEMAND, "work_orders", work_orders.open_work_order_demand)
        sources.register(sources.Kind.MADE, "work_orders", work_orders.open_work_order_supply)
        # Firm planned orders: every later run keeps them as supply (and a make's components as demand).
        sources.register(sources.Kind.PLANNED, "firm_planned_orders", firm_orders.firm_planned_supply)
        sources.register(sources.Kind.DEMAND, "firm_planned_orders", firm_orders.firm_planned_demand)
        # Inventory's reorder report counts purchased supply as on order; inventory imports no app above it.
        set_on_order_provider(sources.on_order_quantities)
