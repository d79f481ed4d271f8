"""Every cache key, log record, stored file and Celery task carries its tenant."""

import logging
import time
import uuid
from pathlib import Path

import pytest
from django.conf import settings
from django.core.cache import cache
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import connection
from django_tenants.log import TenantContextFilter
from django_tenants.utils import tenant_context

from tenants.services import tenant_suspend
from tenants.tasks import TenantNotActive, describe_current_schema
from tests.support import celery_worker

REPO = Path(__file__).resolve().parents[2]


def test_cache_value_set_under_acme_is_invisible_under_globex(acme, globex):
    key = f"greeting-{uuid.uuid4().hex}"
    with tenant_context(acme):
        cache.set(key, "hello from acme", 60)
    with tenant_context(globex):
        assert cache.get(key) is None
    with tenant_context(acme):
        assert cache.get(key) == "hello from acme"
        cache.delete(key)


def test_cache_keys_are_prefixed_with_the_tenant_schema(acme):
    with tenant_context(acme):
        assert cache.make_key("stock-report").startswith("acme:")


def test_log_records_carry_the_tenant_schema(acme):
    record = logging.LogRecord("erp", logging.INFO, __file__, 1, "posted a move", None, None)
    with tenant_context(acme):
        TenantContextFilter().filter(record)
    assert record.schema_name == "acme"
    assert "%(schema_name)s" in settings.LOGGING["formatters"]["tenant"]["format"]


def test_djangos_log_line_for_an_error_response_carries_the_tenant_and_the_context_is_restored_after(acme_client):
    records = []

    class Collect(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            TenantContextFilter().filter(record)
            records.append(record)

    handler = Collect()
    logging.getLogger("django.request").addHandler(handler)
    try:
        assert acme_client.get("/no-such-page/").status_code == 404
    finally:
        logging.getLogger("django.request").removeHandler(handler)
    assert [record.schema_name for record in records] == ["acme"]
    assert connection.schema_name == "public"  # the request's context ended with its response


def test_uploaded_files_are_stored_under_the_tenants_own_folder(acme, globex, settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)
    with tenant_context(acme):
        name = default_storage.save("imports/items.csv", ContentFile(b"sku,name\n"))
        assert Path(default_storage.path(name)) == tmp_path / "acme" / "imports" / "items.csv"
    with tenant_context(globex):
        assert not default_storage.exists(name)


def test_task_applied_in_a_tenant_runs_in_that_tenants_schema(acme):
    with tenant_context(acme):
        result = describe_current_schema.apply()
    assert result.get() == {"schema": "acme", "user_emails": ["boss@acme.test"]}


def test_task_sent_for_a_suspended_tenant_is_refused(acme):
    tenant_suspend(tenant=acme)
    with tenant_context(acme):
        result = describe_current_schema.apply()
    assert result.failed()
    assert isinstance(result.result, TenantNotActive)


@pytest.fixture(scope="module")
def celery_worker_queue(django_db_setup, tmp_path_factory):
    """A real Celery worker process on the test database, consuming a queue no other worker knows."""
    queue = f"test-{uuid.uuid4().hex[:8]}"
    with celery_worker([queue], tmp_path_factory.mktemp("worker") / "worker.log", concurrency=1):
        yield queue


@pytest.mark.worker
def test_real_worker_runs_each_task_in_the_schema_it_was_sent_from(acme, globex, celery_worker_queue):
    with tenant_context(acme):
        from_acme = describe_current_schema.apply_async(queue=celery_worker_queue)
    with tenant_context(globex):
        from_globex = describe_current_schema.apply_async(queue=celery_worker_queue)
    assert connection.schema_name == "public"
    deadline = time.monotonic() + 60
    assert from_acme.get(timeout=max(1, deadline - time.monotonic())) == {
        "schema": "acme",
        "user_emails": ["boss@acme.test"],
    }
    assert from_globex.get(timeout=max(1, deadline - time.monotonic())) == {
        "schema": "globex",
        "user_emails": ["boss@globex.test"],
    }
