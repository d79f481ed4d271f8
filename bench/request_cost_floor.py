"""The floor of bench/request_cost.py, served by the same gunicorn as the product (settings_request_cost.py): a bare
Django view that runs an endpoint's SQL, as the bench captured it, straight through psycopg, and returns its last
result's rows as JSON with `json.dumps`. What no serializer, authentication class, paginator or template costs."""

from __future__ import annotations

import functools
import json
import os

from django.db import connection
from django.http import HttpRequest, HttpResponse
from django.urls import path

from erp.urls_tenant import urlpatterns as product_urlpatterns


@functools.cache
def _statements() -> dict[str, list[str]]:
    with open(os.environ["BENCH_FLOOR_SQL"]) as file:
        return json.load(file)


def floor(request: HttpRequest, name: str) -> HttpResponse:
    statements = _statements()[name]
    connection.ensure_connection()  # the captured statements set the tenant's search path and role themselves
    raw = connection.connection  # the psycopg connection itself
    rows: list = []
    with raw.transaction(), raw.cursor() as cursor:
        for sql in statements:
            cursor.execute(sql)
            if cursor.description is not None:
                columns = [column.name for column in cursor.description]
                rows = [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]
    return HttpResponse(json.dumps(rows, default=str), content_type="application/json")


urlpatterns = [path("bench/floor/<slug:name>/", floor), *product_urlpatterns]
