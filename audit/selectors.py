from django.db.models import QuerySet

from audit.models import AuditEntry


def audit_entries(*, user: str = "", action: str = "", object_type: str = "", object_id: str = "") -> QuerySet:
    """This tenant's audit entries, newest first, narrowed by username, action (prefix), object type and id."""
    entries = AuditEntry.objects.all()
    if user:
        entries = entries.filter(username=user)
    if action:
        entries = entries.filter(action__startswith=action)
    if object_type:
        entries = entries.filter(object_type=object_type)
    if object_id:
        entries = entries.filter(object_id=object_id)
    return entries.order_by("-created_at", "-id")
