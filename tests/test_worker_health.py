"""A job nobody takes says so on its page; /healthz tells operations staff about workers and queues, and anonymous
callers nothing but "ok"."""

import datetime
import time
import uuid

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.test import Client
from django.utils import timezone
from django_tenants.utils import tenant_context

from erp.celery import heartbeat_remove, heartbeat_write
from inventory.models import ItemImport
from planning.models import MrpRun
from tests.inventory.conftest import logged_in

NO_WORKER = "No background worker is taking jobs"


@pytest.fixture
def queue(settings):
    """A default queue of this test's own: no worker of another test consumes it."""
    settings.CELERY_TASK_DEFAULT_QUEUE = f"health-{uuid.uuid4().hex[:8]}"
    return settings.CELERY_TASK_DEFAULT_QUEUE


@pytest.fixture
def worker_on(queue):
    """A live worker's heartbeat naming `queue`, as erp.celery.WorkerHeartbeat writes it."""
    hostname = f"fake-{uuid.uuid4().hex[:8]}@test"
    heartbeat_write(hostname=hostname, queues=[queue])
    yield hostname
    heartbeat_remove(hostname=hostname)


@pytest.fixture
def web(acme, acme_client):
    return logged_in(acme_client, acme)


def _aged(model, pk: int, seconds: int) -> None:
    model.objects.filter(pk=pk).update(created_at=timezone.now() - datetime.timedelta(seconds=seconds))


def _pending_import(acme, seconds: int) -> ItemImport:
    with tenant_context(acme):
        job = ItemImport.objects.create(file_name="w.csv", content="sku,name,uom\n", total_rows=0)
        _aged(ItemImport, job.pk, seconds)
    return job


def test_an_import_pending_over_a_minute_says_no_worker_is_taking_jobs(web, acme, queue):
    job = _pending_import(acme, 90)
    page = web.get(f"/inventory/imports/{job.pk}/").content.decode()
    assert NO_WORKER in page and "Waiting to start" in page


def test_an_mrp_run_pending_over_a_minute_says_no_worker_is_taking_jobs(web, acme, queue):
    with tenant_context(acme):
        run = MrpRun.objects.create()
        _aged(MrpRun, run.pk, 90)
    page = web.get(f"/production/mrp/runs/{run.pk}/").content.decode()
    assert NO_WORKER in page


def test_a_job_pending_for_seconds_does_not_warn_yet(web, acme, queue):
    job = _pending_import(acme, 5)
    assert NO_WORKER not in web.get(f"/inventory/imports/{job.pk}/").content.decode()


def test_a_job_waiting_while_a_worker_takes_its_queue_does_not_warn(web, acme, worker_on):
    job = _pending_import(acme, 90)
    assert NO_WORKER not in web.get(f"/inventory/imports/{job.pk}/").content.decode()


def test_a_worker_not_heard_of_for_a_minute_counts_as_gone(web, acme, queue):
    heartbeat_write(hostname="stale@test", queues=[queue], at=time.time() - 120)
    try:
        job = _pending_import(acme, 90)
        assert NO_WORKER in web.get(f"/inventory/imports/{job.pk}/").content.decode()
    finally:
        heartbeat_remove(hostname="stale@test")


# --- /healthz ----------------------------------------------------------------------------------------------------


def test_healthz_tells_anonymous_callers_only_the_status(acme_client, db):
    assert acme_client.get("/healthz").json() == {"status": "ok"}
    assert Client(HTTP_HOST=settings.BASE_DOMAIN).get("/healthz").json() == {"status": "ok"}


def test_healthz_gives_operations_staff_workers_and_queue_depths(db, queue, worker_on):
    ops = get_user_model().objects.create_user("ops-health", "ops@example.test", "x", is_staff=True)
    client = Client(HTTP_HOST=settings.BASE_DOMAIN)
    client.force_login(ops)
    body = client.get("/healthz").json()
    assert body["schema"] == "public"
    assert body["workers"]["live"][worker_on] == [queue]
    assert body["queues"][queue] == {"waiting": 0, "workers": 1}
    assert body["workers"]["status"] == "missing"  # the fan-out queues have nobody in this test


def test_healthz_with_the_token_reports_on_a_tenant_host(acme_client, settings, queue):
    settings.HEALTHZ_TOKEN = "t" * 40
    body = acme_client.get("/healthz", HTTP_AUTHORIZATION=f"Bearer {'t' * 40}").json()
    assert body["schema"] == "acme"
    assert body["queues"][queue] == {"waiting": 0, "workers": 0}


def test_healthz_with_a_wrong_token_is_status_only(acme_client, settings):
    settings.HEALTHZ_TOKEN = "t" * 40
    assert acme_client.get("/healthz", HTTP_AUTHORIZATION="Bearer wrong").json() == {"status": "ok"}


def test_a_tenant_admin_gets_no_fleet_figures_from_healthz(web):
    assert web.get("/healthz").json() == {"status": "ok"}
