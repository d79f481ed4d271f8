"""Forgetting old Idempotency-Keys."""

from __future__ import annotations

import datetime

from django.utils import timezone

from orders.models import IdempotencyRecord
from orders.services.errors import OrderError


def idempotency_records_purge(*, older_than: datetime.timedelta) -> int:
    """Forget Idempotency-Keys older than `older_than` (a retry after that creates anew); returns how many."""
    if older_than < datetime.timedelta(hours=1):
        raise OrderError("keep idempotency keys for at least an hour, or a client's retry could create twice")
    deleted, _ = IdempotencyRecord.objects.filter(created_at__lt=timezone.now() - older_than).delete()
    return deleted
