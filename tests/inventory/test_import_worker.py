"""The CSV import run by a real Celery worker process, in the schema of the tenant that queued it."""

import uuid
from pathlib import Path

import pytest
from django_tenants.utils import tenant_context

from inventory.models import Item, ItemImport
from inventory.tasks import import_items
from tests.support import in_tenant

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def worker_queue(celery_workers):
    """A Celery worker on the test database, consuming a queue no other worker knows."""
    queue = f"test-inventory-{uuid.uuid4().hex[:8]}"
    celery_workers([queue], concurrency=1)
    return queue


@pytest.mark.worker
def test_a_worker_imports_the_rows_into_the_senders_schema_and_reports_bad_lines(scratch_tenant, acme, worker_queue):
    text = "sku,name,uom\nWK-1,Worker part,pcs\nWK-2,Bad unit,crates\n"
    job = in_tenant(scratch_tenant, lambda: ItemImport.objects.create(file_name="w.csv", content=text, total_rows=2))
    with tenant_context(scratch_tenant):
        result = import_items.apply_async(args=[job.pk], queue=worker_queue)
    assert result.get(timeout=90) == {"job": job.pk, "status": "done", "created": 1, "updated": 0}

    def outcome():
        done = ItemImport.objects.get(pk=job.pk)
        return list(Item.objects.values_list("sku", flat=True)), done.errors

    skus, errors = in_tenant(scratch_tenant, outcome)
    assert skus == ["WK-1"]
    assert [(error["line"], error["sku"]) for error in errors] == [(3, "WK-2")]
    with tenant_context(acme):
        assert not Item.objects.filter(sku="WK-1").exists()
