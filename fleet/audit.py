"""The audit trail of fleet operations on tenants: who did what, when, with which details."""

from __future__ import annotations

import json
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder

from fleet.models import TenantAuditEvent
from tenants.models import Tenant


def audit(*, tenant: Tenant, action: str, actor: str, **details: Any) -> TenantAuditEvent:
    """One audit row, written in the caller's transaction so it exists exactly when the change does."""
    clean = {key: value for key, value in details.items() if value is not None}
    # Round-trip through Django's encoder so dates, paths and decimals are stored as text.
    clean = json.loads(json.dumps(clean, cls=DjangoJSONEncoder, default=str))
    return TenantAuditEvent.objects.create(
        tenant=tenant if tenant.pk is not None else None,
        tenant_slug=tenant.slug,
        action=action,
        actor=actor,
        details=clean,
    )
