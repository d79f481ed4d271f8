from urllib.parse import urlencode

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from access.permissions import capability_required
from access.roles import Capability
from audit.selectors import audit_entries

FILTERS = ("user", "action", "object_type", "object_id")


@capability_required(Capability.ADMIN)
def entry_list(request: HttpRequest) -> HttpResponse:
    """The audit log of this tenant, for its admins: filter by user, action, object; 50 a page."""
    filters = {name: request.GET.get(name, "").strip() for name in FILTERS}
    page = Paginator(audit_entries(**filters), 50).get_page(request.GET.get("page"))
    query = urlencode({name: value for name, value in filters.items() if value})
    return render(request, "audit/entry_list.html", {"page": page, "filters": filters, "query": query})
