from dataclasses import dataclass

from django.apps import apps
from django.contrib.auth import get_user_model
from django.db.models import QuerySet

from audit.models import AuditEntry

SYSTEM = "-"  # the user filter's value for writes made by no user (imports, tasks)


def audit_entries(*, user: str = "", action: str = "", object_type: str = "", object_id: str = "") -> QuerySet:
    """This tenant's audit entries, newest first, narrowed by username (SYSTEM: no user), action (prefix), object
    type and id."""
    entries = AuditEntry.objects.all()
    if user:
        entries = entries.filter(username="" if user == SYSTEM else user)
    if action:
        entries = entries.filter(action__startswith=action)
    if object_type:
        entries = entries.filter(object_type=object_type)
    if object_id:
        entries = entries.filter(object_id=object_id)
    return entries.order_by("-created_at", "-id")


def action_label(action: str) -> str:
    """`inventory.item_update` reads "Inventory: item update"."""
    app, _, what = action.partition(".")
    return f"{app.capitalize()}: {what.replace('_', ' ')}" if what else action


def object_type_label(object_type: str) -> str:
    """`inventory.item` reads "Inventory: item" (the model's verbose name); an unknown label reads as itself."""
    try:
        model = apps.get_model(object_type)
    except (LookupError, ValueError):
        return object_type
    return f"{model._meta.app_config.verbose_name}: {model._meta.verbose_name}"


@dataclass(frozen=True)
class AuditChoices:
    users: list[tuple[str, str]]  # (username or SYSTEM, "username (full name)")
    actions: list[tuple[str, str]]
    object_types: list[tuple[str, str]]


def audit_filter_choices() -> AuditChoices:
    """What the audit log's filters offer, by readable name: the users, actions and object types found in the log
    (three queries on indexed columns, plus one for the users' full names)."""
    entries = AuditEntry.objects.order_by()
    usernames = sorted(set(entries.values_list("username", flat=True).distinct()))
    names = {
        user.get_username(): user.get_full_name()
        for user in get_user_model().objects.filter(username__in=usernames).only("username", "first_name", "last_name")
    }
    users = [(name, f"{name} ({names[name]})" if names.get(name) else name) for name in usernames if name]
    if "" in usernames:
        users.append((SYSTEM, "System (imports, tasks)"))
    actions = sorted(
        ((action, action_label(action)) for action in entries.values_list("action", flat=True).distinct()),
        key=lambda pair: pair[1],
    )
    types = sorted(
        ((kind, object_type_label(kind)) for kind in entries.values_list("object_type", flat=True).distinct()),
        key=lambda pair: pair[1],
    )
    return AuditChoices(users=users, actions=actions, object_types=types)
