"""What the BOM and work order services share: the acting user and the production event + audit entry."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from decimal import Decimal

from django.contrib.auth.models import User as AuthUser

from audit.services import audit_record, changes_since
from core.users import acting_user as _acting
from production.models import Bom, ProductionEvent, WorkOrder

User = AuthUser | None
PLACES = Decimal("0.0001")


def _fmt(value: Decimal) -> str:
    return f"{value.normalize():f}"


# Fields whose old -> new values the audit log keeps (see audit.services.audit_record).
_BOM_AUDITED = ("item", "version", "is_active", "note", "labour_cost", "overhead_cost", "cost_basis", "batch_size")
_WO_AUDITED = (
    "number", "item", "quantity", "due_date", "note", "state", "bom", "location", "completed_quantity",
    "material_cost", "labour_cost", "overhead_cost", "standard_cost",
)  # fmt: skip


def _created(obj, fields: Iterable[str]) -> dict[str, list[object]]:
    return changes_since(obj, dict.fromkeys(fields))


def _deleted(obj, fields: Iterable[str]) -> dict[str, list[object]]:
    return {name: [value, None] for name, value in changes_since(obj, dict.fromkeys(fields)).items()}


def _audit(
    action: str,
    user: User,
    *,
    bom: Bom | None = None,
    work_order: WorkOrder | None = None,
    changes: Mapping[str, object] | None = None,
    **detail,
) -> None:
    """The production event (the work order's own history) and the tenant's audit entry, with `changes`."""
    audited = work_order if work_order is not None else bom
    if audited is None:
        raise ValueError("a production event names its work order or its BOM")
    audit_record(user=user, action=f"production.{action}", obj=audited, changes=changes)
    ProductionEvent.objects.create(
        action=action,
        bom_id=bom.pk if bom is not None else None,
        work_order_id=work_order.pk if work_order is not None else None,
        detail={key: str(value) if isinstance(value, Decimal) else value for key, value in detail.items()},
        created_by=_acting(user),
    )
