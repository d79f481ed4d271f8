"""Server-side sorting of the list pages, one way for every app.

A list names its sortable columns as {key: field}; the request asks `?sort=<key>` (ascending) or `?sort=-<key>`
(descending). Anything else falls back to the list's default, so a URL can never sort on a field the list did not
offer. Each column gets the link of its header (flipped when it is the current sort) and its `aria-sort` value;
`querystring` is the request's query without the page number, for the pager (templates/_pager.html).
`list_page` pages a list with the page size (`?size=`) and page jump the pager offers.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from django.core.paginator import Page, Paginator
from django.db.models import QuerySet
from django.http import HttpRequest


@dataclass(frozen=True)
class Column:
    href: str
    aria_sort: str  # "ascending", "descending" or "" for a column the list is not sorted by


@dataclass(frozen=True)
class TableSort:
    sort: str  # the sort applied: a key of the list's columns, "-" in front when descending
    order_by: tuple[str, ...]
    columns: dict[str, Column]
    querystring: str

    def apply(self, queryset: QuerySet) -> QuerySet:
        return queryset.order_by(*self.order_by)

    def context(self) -> dict:
        return {"sort": self.sort, "columns": self.columns, "querystring": self.querystring}


def table_sort(request: HttpRequest, columns: dict[str, str], *, default: str, tiebreak: tuple[str, ...]) -> TableSort:
    """The sort a list request asked for, among `columns` only; ties are broken by `tiebreak` (unique together)."""
    sort = request.GET.get("sort", default)
    if sort.removeprefix("-") not in columns:
        sort = default
    field = columns[sort.removeprefix("-")]
    query = request.GET.copy()
    query.pop("page", None)
    links = {}
    for key in columns:
        current = "descending" if sort == f"-{key}" else "ascending" if sort == key else ""
        link = query.copy()
        link["sort"] = f"-{key}" if current == "ascending" else key
        links[key] = Column(href=f"?{link.urlencode()}", aria_sort=current)
    order_by = (f"-{field}" if sort.startswith("-") else field, *tiebreak)
    return TableSort(sort=sort, order_by=order_by, columns=links, querystring=query.urlencode())


# --- Paging with a page size and a page jump (templates/_pager.html) -------------------------------------------------

PAGE_SIZES = (25, 50, 100)


@dataclass(frozen=True)
class ListPage:
    page: Page
    size: int
    sizes: tuple[int, ...]
    fields: list[tuple[str, str]]  # the request's query without page and size: the pager form's hidden inputs

    def context(self) -> dict:
        return {"page": self.page, "page_size": self.size, "page_sizes": self.sizes, "page_fields": self.fields}


def list_page(
    request: HttpRequest, object_list: Sequence | QuerySet, *, sizes: tuple[int, ...] = PAGE_SIZES
) -> ListPage:
    """The page a list request asked for: `?size=` among `sizes` (else the first), `?page=` (anything that is not a
    page number gives the first page, past the end the last), as Paginator.get_page does."""
    asked = request.GET.get("size", "")
    size = int(asked) if asked.isdigit() and int(asked) in sizes else sizes[0]
    page = Paginator(object_list, size).get_page(request.GET.get("page"))
    fields = [(name, value) for name, values in request.GET.lists() if name not in ("page", "size") for value in values]
    return ListPage(page=page, size=size, sizes=sizes, fields=fields)
