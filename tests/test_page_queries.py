"""Query counts of every page of the tenant UI, pinned: at most MAX_QUERIES, and no more with 30 rows of everything
than with 5 (a page that runs a query per row fails here; one may run fewer, e.g. a page 2 that does not exist yet).
bench/pages.py walks the same pages on 10,000 items.

The data is committed once per module in a tenant of its own (tests/page_walk.py writes it through the services),
each page fetched by a signed-in administrator; host routing's own queries (a registry re-check, a route not cached
yet) depend on the routing cache's state and are left out, as in tests/test_hot_path_queries.py."""

import uuid

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django_tenants.utils import tenant_context

from tests.page_walk import grow, pages

MAX_QUERIES = 15
ROUTING_TABLES = ("tenants_registry_version", "tenants_domain")
PAGE_NAMES = [name for name, _ in pages(dict.fromkeys(("item", "tracked", "lot", "location", "partner", "sales",
              "purchase", "bom", "product", "wo", "draft_wo", "draft_sales", "draft_purchase", "run", "import",
              "user"), 0))]  # fmt: skip


def page_queries(client: Client, url: str) -> int:
    client.get("/healthz")  # the route cached
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200, (url, response.status_code, response.content[:300])
    return sum(not any(table in q["sql"] for table in ROUTING_TABLES) for q in captured.captured_queries)


@pytest.fixture(scope="module")
def counts(django_db_setup, django_db_blocker):
    """{page: (queries with 5 rows, queries with 30 rows)}, measured on committed data in a scratch tenant."""
    from tenants.services import tenant_create, tenant_delete

    with django_db_blocker.unblock():
        tenant = tenant_create(slug=f"pages-{uuid.uuid4().hex[:6]}", name="Pages", admin_email="boss@pages.test").tenant
        try:
            client = Client(HTTP_HOST=f"{tenant.slug}.{settings.BASE_DOMAIN}")
            measured: dict[str, list[int]] = {}
            for rows, tag in ((5, "a"), (25, "b")):
                with tenant_context(tenant):
                    admin = get_user_model().objects.get(is_superuser=True)
                    ids = grow(user=admin, rows=rows, tag=tag)
                    client.force_login(admin)
                connection.set_schema_to_public()
                for name, url in pages(ids):
                    measured.setdefault(name, []).append(page_queries(client, url))
                    connection.set_schema_to_public()
            yield measured
        finally:
            connection.set_schema_to_public()
            tenant_delete(tenant=tenant)


@pytest.mark.parametrize("page", PAGE_NAMES)
def test_a_page_costs_at_most_15_queries_whatever_its_rows(counts, page):
    small, large = counts[page]
    assert large <= small, f"{page}: {small} queries with 5 rows, {large} with 30"
    assert large <= MAX_QUERIES, f"{page}: {large} queries"
