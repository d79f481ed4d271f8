from django.apps import AppConfig


class ProductionConfig(AppConfig):
    name = "production"

    def ready(self) -> None:
        from django.urls import reverse

        from inventory.scan import register_scan_target
        from inventory.services import register_document_undo
        from production.models import WorkOrder

        # A work order's consumption and output moves are undone by un-completing it, never reversed bare.
        register_document_undo(
            WorkOrder,
            undo="un-complete on the work order",
            url=lambda work_order: reverse("production:work-order-detail", args=[work_order.pk]),
        )

        def scanned_work_order(code: str) -> str | None:
            pk = WorkOrder.objects.filter(number__iexact=code).values_list("pk", flat=True).first()
            return None if pk is None else reverse("production:work-order-detail", args=[pk])

        # A work-order number scanned into the scan box opens the work order.
        register_scan_target("work_order", scanned_work_order)
