"""The order history table of the previous release (no longer written) and the API's idempotency records."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from orders.models.kinds import PurchaseOrder, SalesOrder


class OrderEvent(models.Model):
    """No longer written: an order's history is its audit entries (`orders.selectors.order_history`).

    Expand-then-contract: the services stopped writing it (and the admin showing it) in this release while the table
    keeps the rows written before; the next release drops the model and its table (a DeleteModel migration) once no
    running code writes it. Every order event written since the audit log came has its audit entry.
    """

    sales_order = models.ForeignKey(SalesOrder, null=True, blank=True, on_delete=models.CASCADE, related_name="events")
    purchase_order = models.ForeignKey(
        PurchaseOrder, null=True, blank=True, on_delete=models.CASCADE, related_name="events"
    )
    action = models.CharField(max_length=32)
    detail = models.CharField(max_length=500, blank=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(sales_order__isnull=False, purchase_order__isnull=True)
                | Q(sales_order__isnull=True, purchase_order__isnull=False),
                name="orders_orderevent_one_order",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.action} {self.sales_order_id or self.purchase_order_id}"


class IdempotencyRecord(models.Model):
    """The first response to an API POST sent with an `Idempotency-Key` header, replayed to retries of it.

    Lives in the tenant schema, so a key is unique per tenant; `key` is "<user id>:<client's key>", so per user too
    (core.idempotency.scoped_key). The fingerprint (method, path, body) tells a retry from a different request that
    reuses the key. The response is kept as the bytes sent and their content type, so a replay is byte-identical.

    Expand-then-contract: `response_body` (the parsed JSON the previous release kept) is no longer written; a record
    it wrote is still replayed from it. The next release drops it once every such record is purged (a week).
    """

    key = models.CharField(max_length=300, unique=True)  # a client's key is at most 255 characters, plus the user
    fingerprint = models.CharField(max_length=64)
    response_status = models.PositiveSmallIntegerField(null=True)
    response_content = models.BinaryField(null=True)
    response_content_type = models.CharField(max_length=255, default="", db_default="", blank=True)
    response_body = models.JSONField(null=True)  # the previous release's; no longer written
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.key
