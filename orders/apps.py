from decimal import Decimal

from django.apps import AppConfig


class OrdersConfig(AppConfig):
    name = "orders"

    def ready(self) -> None:
        from customfields.registry import register_entity
        from orders import selectors
        from planning import sources

        register_entity("partner", model_label="orders.Partner", column="custom_fields")
        register_entity("sales_order", model_label="orders.SalesOrder", column="custom_fields")
        register_entity("purchase_order", model_label="orders.PurchaseOrder", column="custom_fields")

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

        def preferred_supplier_terms() -> list[sources.PurchaseTerms]:
            return [
                sources.PurchaseTerms(item_id, lead_time_days, minimum or Decimal(0))
                for item_id, lead_time_days, minimum in selectors.preferred_supplier_terms()
            ]

        # Open sales lines are planning's demand; open purchase lines its purchased supply (material requirements,
        # and what inventory's reorder report counts as on order).
        sources.register(sources.Kind.DEMAND, "sales_orders", sales_demand)
        sources.register(sources.Kind.PURCHASED, "purchase_orders", purchase_supply)
        # A bought item is planned with its preferred supplier's lead time and least order (converting orders from it).
        sources.register_purchase_terms("preferred_suppliers", preferred_supplier_terms)
        _register_undos()
        _register_scans()

        from inventory import traceability

        # A lot trace names the shipments (and customers) and receipts (and suppliers) behind the moves it finds.
        traceability.register_document("orders.shipment", selectors.traced_shipments)
        traceability.register_document("orders.receipt", selectors.traced_receipts)


def _register_scans() -> None:
    """A sales or purchase order number (SO-00012, any letter case) scanned into the scan box opens the order."""
    from django.urls import reverse

    from inventory.scan import register_scan_target
    from orders.models import PurchaseOrder, SalesOrder
    from orders.selectors import order_by_number

    for model, url_name in ((SalesOrder, "orders:sales-order-detail"), (PurchaseOrder, "orders:purchase-order-detail")):

        def resolve(code: str, model=model, url_name=url_name) -> str | None:
            pk = order_by_number(model, code)
            return None if pk is None else reverse(url_name, args=[pk])

        register_scan_target(model._meta.label_lower, resolve)


def _register_undos() -> None:
    """How the ledger's moves of each order document are undone (inventory refuses to reverse them bare)."""
    from django.urls import reverse

    from inventory.services import register_document_undo
    from orders.models import CustomerReturn, Receipt, Shipment, SupplierReturn

    def sales(order_id: int, anchor: str) -> str:
        return f"{reverse('orders:sales-order-detail', args=[order_id])}#{anchor}"

    def purchase(order_id: int, anchor: str) -> str:
        return f"{reverse('orders:purchase-order-detail', args=[order_id])}#{anchor}"

    register_document_undo(
        Shipment,
        undo="a customer return against the shipment",
        url=lambda shipment: sales(shipment.order_id, f"shipment-{shipment.pk}"),
    )
    register_document_undo(
        Receipt,
        undo="a return to supplier against the receipt",
        url=lambda receipt: purchase(receipt.order_id, f"receipt-{receipt.pk}"),
    )
    register_document_undo(
        CustomerReturn,
        undo="a new shipment of the sales order (a return is not taken back)",
        url=lambda document: sales(document.shipment.order_id, "shipments"),
    )
    register_document_undo(
        SupplierReturn,
        undo="a new receipt on the purchase order (a return is not taken back)",
        url=lambda document: purchase(document.receipt.order_id, "receipts"),
    )


# The documents behind the lines (pegging); their ids join once OpenLine carries the order id.
SALES, PURCHASE = "orders.salesorder", "orders.purchaseorder"
