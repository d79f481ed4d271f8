from django.apps import AppConfig


class OrdersConfig(AppConfig):
    name = "orders"

    def ready(self) -> None:
        from orders import selectors
        from planning import sources

        def sales_demand() -> list[sources.DemandLine]:
            return [
                sources.DemandLine(line.item_id, line.quantity, line.due_date, sources.Peg(SALES, None, line.source))
                for line in selectors.open_sales_demand()
            ]

        def purchase_supply() -> list[sources.SupplyLine]:
            return [
                sources.SupplyLine(line.item_id, line.quantity, line.due_date, sources.Peg(PURCHASE, None, line.source))
                for line in selectors.open_purchase_supply()
            ]

        # Open sales lines are planning's demand; open purchase lines its purchased supply (material requirements,
        # and what inventory's reorder report counts as on order).
        sources.register(sources.Kind.DEMAND, "sales_orders", sales_demand)
        sources.register(sources.Kind.PURCHASED, "purchase_orders", purchase_supply)

        from inventory import traceability

        # A lot trace names the shipments (and customers) and receipts (and suppliers) behind the moves it finds.
        traceability.register_document("orders.shipment", selectors.traced_shipments)
        traceability.register_document("orders.receipt", selectors.traced_receipts)


# The documents behind the lines (pegging); their ids join once OpenLine carries the order id.
SALES, PURCHASE = "orders.salesorder", "orders.purchaseorder"
