"""The CSV import run by a real Celery worker process, in the schema of the tenant that queued it."""

import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from django.conf import settings
from django_tenants.utils import tenant_context

from inventory.models import Item, ItemImport
from inventory.tasks import import_items
from tests.support import in_tenant

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def worker_queue():
    """A Celery worker on the test database, consuming a queue no other worker knows."""
    queue = f"test-inventory-{uuid.uuid4().hex[:8]}"
    db = settings.DATABASES["default"]
    env = {
        **os.environ,
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
        "REDIS_URL": settings.REDIS_URL,
    }
    command = [sys.executable, "-m", "celery", "-A", "erp", "worker", "-P", "solo", "-Q", queue]
    command += ["--without-gossip", "--without-mingle", "--without-heartbeat", "-l", "warning"]
    worker = subprocess.Popen(command, cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        yield queue
    finally:
        worker.terminate()
        try:
            worker.wait(timeout=20)
        except subprocess.TimeoutExpired:
            worker.kill()


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
