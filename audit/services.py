"""The one way to write the audit log: `audit_record`, called by every write service inside its transaction."""

from __future__ import annotations

import datetime
import decimal
import json
import uuid
from collections.abc import Iterable, Mapping

from django.db import connection
from django.db.models import Model
from django.utils import timezone

from audit.models import AuditEntry
from core.users import acting_user


def _plain(value: object) -> object:
    """`value` as JSON: model instances by primary key, decimals and dates as strings."""
    if isinstance(value, Model):
        return value.pk
    if isinstance(value, decimal.Decimal):
        return f"{value.normalize():f}"
    if isinstance(value, datetime.date | datetime.time | uuid.UUID):
        return value.isoformat() if not isinstance(value, uuid.UUID) else str(value)
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set):
        return [_plain(v) for v in value]
    return value


def snapshot(obj: Model, fields: Iterable[str]) -> dict[str, object]:
    """The current values of `fields` of `obj` (foreign keys by id), to compare after a change with `changes_since`."""
    values = {}
    for name in fields:
        field = obj._meta.get_field(name)
        values[name] = getattr(obj, field.attname) if field.is_relation else getattr(obj, name)
    return values


def changes_since(obj: Model, before: dict[str, object]) -> dict[str, list[object]]:
    """{field: [old, new]} for the fields of `before` whose value differs now."""
    after = snapshot(obj, before)
    return {name: [_plain(before[name]), _plain(after[name])] for name in before if before[name] != after[name]}


# For services that write in one hand-written statement (stock moves, reservations): one audit row per row of a CTE,
# in the same statement, so the entry and the write commit or vanish together. `{object_id}` is an SQL expression over
# `{source}`; the parameters come from `audit_row_params`.
AUDIT_ROW_SQL = (
    "INSERT INTO audit_auditentry (created_at, tenant, user_id, username, action, object_type, object_id,"
    " object_repr, changes) SELECT %s, %s, %s, %s, %s, %s, ({object_id})::text, '#' || ({object_id}) || ' ' || %s,"
    " %s::jsonb FROM {source}"
)


def audit_row_params(*, user, action: str, object_type: str, summary: str, changes: dict[str, object]) -> list:
    """Parameters of AUDIT_ROW_SQL, as `audit_record` would store them."""
    acting = acting_user(user)
    return [
        timezone.now(),
        connection.schema_name,
        acting.pk if acting is not None else None,
        acting.get_username() if acting is not None else "",
        action,
        object_type,
        summary[:180],
        json.dumps(_plain(changes)),
    ]


def audit_record(
    *,
    user,
    action: str,
    obj: Model,
    changes: Mapping[str, object] | None = None,
) -> AuditEntry:
    """Record that `user` did `action` to `obj` in this tenant, with `changes` as {field: [old, new]}.

    Call it inside the service's transaction: a write rolled back leaves no entry, and no entry exists without
    its write. `user` None (or anonymous) is a system write: an import, a task.
    """
    acting = acting_user(user)
    return AuditEntry.objects.create(
        tenant=connection.schema_name,
        user_id=acting.pk if acting is not None else None,
        username=acting.get_username() if acting is not None else "",
        action=action,
        object_type=obj._meta.label_lower,
        object_id=str(obj.pk),
        object_repr=str(obj)[:200],
        changes=_plain(dict(changes or {})),
    )
