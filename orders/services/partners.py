"""Customers and suppliers."""

from __future__ import annotations

from django.db import transaction

from audit.services import audit_record, changes_since, snapshot
from customfields.services import merged_custom_values, validate_custom_values
from orders.models import Partner
from orders.services.errors import OrderError
from orders.services.parsing import User

# What a partner's services may set, in the order the API answers with them.
PARTNER_FIELDS = (
    "code",
    "name",
    "is_customer",
    "is_supplier",
    "contact_name",
    "email",
    "phone",
    "address",
    "default_lead_time_days",
    "is_active",
)
CUSTOM_FIELDS = "custom_fields"  # the partner's custom-field values (customfields), set by key like the fields above


def partner_create(*, code: str, name: str, user: User, **fields: object) -> Partner:
    """A new customer and/or supplier; the code is unique within the tenant. Its custom-field values must fit the
    tenant's definitions (required ones included)."""
    fields.setdefault(CUSTOM_FIELDS, {})
    return partner_update(partner=Partner(), user=user, code=code, name=name, **fields)


def partner_update(*, partner: Partner, user: User, **fields: object) -> Partner:
    """Change a partner; `custom_fields` changes values by key (null removes one, keys not given stay)."""
    unknown = set(fields) - set(PARTNER_FIELDS) - {CUSTOM_FIELDS}
    if unknown:
        raise TypeError(f"cannot set {', '.join(sorted(unknown))} on Partner")
    if CUSTOM_FIELDS in fields:
        fields[CUSTOM_FIELDS] = validate_custom_values(
            "partner", merged_custom_values(partner.custom_fields, fields[CUSTOM_FIELDS] or {})
        )
    creating = partner.pk is None
    before = dict.fromkeys(fields) if creating else snapshot(partner, fields)
    for name, value in fields.items():
        setattr(partner, name, value.strip() if isinstance(value, str) and name in {"code", "name"} else value)
    if not partner.is_customer and not partner.is_supplier:
        raise OrderError("a partner is a customer, a supplier or both: tick at least one", field="is_customer")
    with transaction.atomic():
        partner.full_clean()
        partner.save()
        changes = changes_since(partner, before)
        if creating or changes:
            action = "orders.partner_create" if creating else "orders.partner_update"
            audit_record(user=user, action=action, obj=partner, changes=changes)
    return partner
