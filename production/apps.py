from django.apps import AppConfig


class ProductionConfig(AppConfig):
    name = "production"

    def ready(self) -> None:
        from django.urls import reverse

        from inventory.services import register_document_undo
        from production.models import WorkOrder

        # A work order's consumption and output moves are undone by un-completing it, never reversed bare.
        register_document_undo(
            WorkOrder,
            undo="un-complete on the work order",
            url=lambda work_order: reverse("production:work-order-detail", args=[work_order.pk]),
        )
