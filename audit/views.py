from urllib.parse import urlencode

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from access.permissions import capability_required
from access.roles import Capability
from audit.selectors import action_label, audit_entries, audit_filter_choices, object_type_label

FILTERS = ("user", "action", "object_type", "object_id")


def _with_current(choices: list[tuple[str, str]], value: str) -> list[tuple[str, str]]:
    """A value asked for that the log does not hold (yet) stays selected, said as such."""
    if value and value not in {choice for choice, _ in choices}:
        return [*choices, (value, f"{value} (no entries)")]
    return choices


@capability_required(Capability.ADMIN)
def entry_list(request: HttpRequest) -> HttpResponse:
    """The audit log of this tenant, for its admins: filter by user, action and object type (chosen by their readable
    names) and object id; 50 a page."""
    filters = {name: request.GET.get(name, "").strip() for name in FILTERS}
    page = Paginator(audit_entries(**filters), 50).get_page(request.GET.get("page"))
    for entry in page.object_list:
        entry.action_label = action_label(entry.action)
        entry.object_type_label = object_type_label(entry.object_type)
    choices = audit_filter_choices()
    query = urlencode({name: value for name, value in filters.items() if value})
    context = {
        "page": page,
        "filters": filters,
        "query": query,
        "user_choices": _with_current(choices.users, filters["user"]),
        "action_choices": _with_current(choices.actions, filters["action"]),
        "object_type_choices": _with_current(choices.object_types, filters["object_type"]),
    }
    return render(request, "audit/entry_list.html", context)
