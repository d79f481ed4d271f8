"""Bounded work per request: body size (413), JSON depth and NUL characters (400), and a statement timeout (503),
answered before they cost a worker or reach PostgreSQL; anonymous requests included."""

import json
import logging

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test import Client, override_settings
from django_tenants.utils import tenant_context

from erp.http_limits import JSON_MAX_DEPTH, RETRY_AFTER_SECONDS
from orders.models import SalesOrder
from tests.conftest import host_of
from tests.orders.factories import CustomerFactory
from tests.support import committed

DEEP = "[" * 100_000


@pytest.fixture
def api(acme, acme_client):
    with tenant_context(acme):
        acme_client.force_login(get_user_model().objects.get(username="boss"))
    return acme_client


def post_json(client, url, body: str):
    return client.post(url, body, content_type="application/json")


def nested(depth: int) -> str:
    return "[" * (depth - 1) + "{}" + "]" * (depth - 1)


# --- JSON depth --------------------------------------------------------------------------------------------------
def test_anonymous_deep_json_to_a_tenant_api_endpoint_is_refused_not_a_500(acme_client):
    for url in ("/api/v1/sales-orders/", "/api/v1/items/", "/api/v1/production/boms/"):
        response = post_json(acme_client, url, DEEP)
        assert response.status_code in {400, 401, 403}, (url, response.status_code)


def test_anonymous_deep_json_to_the_token_endpoint_is_a_400(acme_client):
    response = post_json(acme_client, "/api/v1/auth/token/", DEEP)
    assert response.status_code == 400
    assert "nested deeper" in response.json()["detail"]


def test_signed_in_deep_json_is_a_400(api):
    response = post_json(api, "/api/v1/sales-orders/", DEEP)
    assert response.status_code == 400
    assert "nested deeper" in response.json()["detail"]


def test_json_nested_just_past_the_limit_is_a_400(api):
    assert post_json(api, "/api/v1/items/", nested(JSON_MAX_DEPTH + 1)).status_code == 400
    # At the limit the body is parsed: the serializer then says what it expects instead.
    response = post_json(api, "/api/v1/items/", nested(JSON_MAX_DEPTH))
    assert response.status_code == 400
    assert "nested deeper" not in str(response.json())


# --- NUL characters ----------------------------------------------------------------------------------------------
def test_nul_in_a_json_string_is_a_400_and_nothing_is_written(api, in_acme):
    customer = CustomerFactory()
    body = {"customer": customer.pk, "customer_reference": "PO\x00-1", "lines": []}
    response = post_json(api, "/api/v1/sales-orders/", json.dumps(body))  # sent as \u0000
    assert response.status_code == 400
    assert "NUL" in response.json()["detail"]
    assert not SalesOrder.objects.exists()


def test_nul_in_a_json_key_is_a_400(api):
    response = post_json(api, "/api/v1/items/", '{"sku\\u0000": "X-1", "name": "x"}')
    assert response.status_code == 400
    assert "NUL" in response.json()["detail"]


def test_unpaired_surrogate_in_a_json_string_is_a_400(api):
    response = post_json(api, "/api/v1/items/", '{"sku": "X-\\ud800", "name": "x"}')
    assert response.status_code == 400
    assert "surrogate" in response.json()["detail"]


def test_nul_in_the_login_form_is_a_400_page_for_anyone(acme_client):
    response = acme_client.post(
        "/accounts/login/", "username=boss%00&password=x", content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code == 400
    assert b"NUL" in response.content


def test_nul_in_a_multipart_form_is_a_400(acme_client):
    response = acme_client.post(
        "/accounts/login/",
        data={"username": "boss\x00", "password": "x"},  # the test client encodes a dict as multipart/form-data
    )
    assert response.status_code == 400


def test_nul_in_an_api_query_string_is_a_400_json(api):
    response = api.get("/api/v1/items/?search=%00")
    assert response.status_code == 400
    assert "NUL" in response.json()["detail"]


def test_nul_in_a_page_query_string_is_a_400_page(api):
    response = api.get("/inventory/?q=ab%00c")
    assert response.status_code == 400
    assert response["Content-Type"].startswith("text/html")


# --- Body size ---------------------------------------------------------------------------------------------------
def test_api_body_over_the_limit_is_a_413_json_not_logged_as_an_error(api, settings, caplog):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    with caplog.at_level(logging.WARNING):
        response = post_json(api, "/api/v1/items/", json.dumps({"sku": "x" * 2000}))
    assert response.status_code == 413
    assert "at most 1,000 bytes" in response.json()["detail"]
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


def test_anonymous_form_body_over_the_limit_is_a_413_page(acme_client, settings, caplog):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    with caplog.at_level(logging.WARNING):
        response = acme_client.post(
            "/accounts/login/",
            "username=boss&password=" + "x" * 2000,
            content_type="application/x-www-form-urlencoded",
        )
    assert response.status_code == 413
    assert b"Request too large" in response.content
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


def test_upload_over_the_upload_limit_is_a_413(api, settings):
    settings.REQUEST_MAX_UPLOAD_BYTES = 5000
    from django.core.files.uploadedfile import SimpleUploadedFile

    upload = SimpleUploadedFile("items.csv", b"sku,name\n" + b"A,b\n" * 2000, content_type="text/csv")
    response = api.post("/inventory/imports/new/", {"file": upload})
    assert response.status_code == 413


def test_body_within_the_limits_goes_through(api, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    response = post_json(api, "/api/v1/items/", "{}")
    assert response.status_code == 400  # the serializer's field messages: the body was read
    assert "sku" in response.json()


# --- Statement timeout -------------------------------------------------------------------------------------------
@pytest.mark.parametrize("pool_mode", ["session", "transaction"])
def test_a_statement_past_the_timeout_is_a_503_and_the_connection_serves_the_next_request(
    pool_mode, acme, django_db_setup, caplog
):
    client = Client(HTTP_HOST=host_of(acme))

    def requests():
        api = client.get("/api/v1/test-slow/")
        page = client.get("/test-slow/")
        after = client.get("/test-session/")
        with connection.cursor() as cursor:  # the thread's own work after the requests: no timeout any more
            cursor.execute("SHOW statement_timeout")
            left = cursor.fetchone()[0]
        return api, page, after, left

    with (
        override_settings(
            ROOT_URLCONF="tests.security.slow_urls", DB_STATEMENT_TIMEOUT_MS=200, DATABASE_POOL_MODE=pool_mode
        ),
        caplog.at_level(logging.ERROR, logger="erp.http_limits"),
    ):
        api, page, after, left = committed(requests)

    assert api.status_code == 503
    assert api["Retry-After"] == str(RETRY_AFTER_SECONDS)
    assert "took too long" in api.json()["detail"]
    assert page.status_code == 503
    assert page["Retry-After"] == str(RETRY_AFTER_SECONDS)
    assert b"Taking too long" in page.content
    assert after.status_code == 200
    state = after.json()
    assert (state["schema"], state["statement_timeout"]) == ("acme", "200ms")
    assert state["user"].endswith("_acme")
    assert left == "0"
    lines = [record.getMessage() for record in caplog.records if record.name == "erp.http_limits"]
    assert len(lines) == 2 and all("tenant acme" in line and "200 ms" in line for line in lines)


def test_requests_get_the_configured_timeout_and_commands_none(acme, django_db_setup):
    client = Client(HTTP_HOST=host_of(acme))

    def requests():
        state = client.get("/test-session/").json()
        with connection.cursor() as cursor:
            cursor.execute("SHOW statement_timeout")
            return state, cursor.fetchone()[0]

    with override_settings(ROOT_URLCONF="tests.security.slow_urls", DB_STATEMENT_TIMEOUT_MS=30000):
        state, outside = committed(requests)
    assert state["statement_timeout"] == "30s"
    assert outside == "0"


def test_a_form_with_too_many_fields_is_a_400_not_logged_as_an_error(acme_client, settings, caplog):
    settings.DATA_UPLOAD_MAX_NUMBER_FIELDS = 10
    body = "&".join(f"f{n}=x" for n in range(20))
    with caplog.at_level(logging.WARNING):
        response = acme_client.post("/accounts/login/", body, content_type="application/x-www-form-urlencoded")
    assert response.status_code == 400
    assert b"too many fields" in response.content
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
