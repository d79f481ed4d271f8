"""The read path of the API made cheap, without changing a byte of what it answers (REST_FRAMEWORK settings).

- `PageNumberPagination`: page 1 of a list shorter than a page needs no `COUNT(*)`: the page is read with one row
  more than fits, and when it is not full its length is the count. Larger lists count as before.
  A view may read that first page of an unfiltered list through prepared statements (`prepared_head`,
  core.prepared); `PreparedFirstPage` gives a view the plain one.
- `DjangoFilterBackend`: django-filter builds a form and validates it for every request; a request that names none
  of the view's filters is not filtered, so it skips that.
- `core.api_schema.SchemaView`: `/api/schema/` generated once per process.
"""

from __future__ import annotations

import functools

from django.core.paginator import InvalidPage, Page, Paginator
from django.db.models import Model, QuerySet
from django_filters.rest_framework import DjangoFilterBackend as FullDjangoFilterBackend
from rest_framework import pagination
from rest_framework.exceptions import NotFound
from rest_framework.request import Request

from core import prepared


class PageNumberPagination(pagination.PageNumberPagination):
    """DRF's page-number pagination; the first page of a short list costs no `COUNT(*)` (see the module docstring)."""

    def paginate_queryset(self, queryset, request: Request, view=None) -> list | None:
        page_size = self.get_page_size(request)
        if not page_size or request.query_params.get(self.page_query_param, "1") != "1":
            return super().paginate_queryset(queryset, request, view)
        self.request = request
        head = _first_rows(queryset, page_size + 1, request, view)
        if len(head) > page_size:  # more than a page: count as DRF does, keep the rows already read
            paginator = self.django_paginator_class(queryset, page_size)
            if paginator.num_pages < 1:  # rows vanished between the two reads: read the page again
                return super().paginate_queryset(queryset, request, view)
            self.page = Page(head[:page_size], 1, paginator)
            self.display_page_controls = paginator.num_pages > 1 and self.template is not None
            return head[:page_size]
        paginator = Paginator(head, page_size)
        try:
            self.page = paginator.page(1)
        except InvalidPage as exc:  # never for page 1 (allow_empty_first_page); as DRF says it otherwise
            raise NotFound(self.invalid_page_message.format(page_number=1, message=str(exc))) from exc
        return list(self.page)


def _first_rows(queryset, n: int, request: Request, view) -> list:
    """The list's first `n` rows: from the view's `prepared_head(queryset, n)` when it has one and the request has
    no query parameters (no filter, search or ordering then changes the view's queryset, so its SQL is the same for
    every such request), else by slicing the queryset."""
    prepared_head = getattr(view, "prepared_head", None)
    if prepared_head is not None and not request.query_params:
        return prepared_head(queryset, n)
    return list(queryset[:n])


class PreparedFirstPage:
    """A list view's first page without query parameters, read as a prepared statement (core.prepared): compiling
    the list's query is a third of what such a request costs.

    Only for a view whose list queryset is the same for every request without query parameters: one that does not
    depend on the user, a header or anything else of the request (the statement is compiled on the first such
    request and reused for every later one, in every tenant)."""

    def prepared_head(self, queryset: QuerySet, n: int) -> list[Model]:
        return prepared.objects(("api.head", type(self).__module__, type(self).__qualname__, n), lambda: queryset[:n])


@functools.cache
def _filter_names(filterset_class: type) -> tuple[str, ...]:
    return tuple(filterset_class.base_filters)


class DjangoFilterBackend(FullDjangoFilterBackend):
    """django-filter, only for a request that names one of the view's filters (range filters by their prefix)."""

    def filter_queryset(self, request: Request, queryset, view):
        params = request.query_params
        if not params:
            return queryset
        filterset_class = self.get_filterset_class(view, queryset)
        if filterset_class is None:
            return queryset
        names = _filter_names(filterset_class)
        if not any(param.startswith(name) for param in params for name in names):
            return queryset
        return super().filter_queryset(request, queryset, view)
