"""The Celery worker `make run` starts consumes exactly the queues the settings route to, and says it is alive."""

import time
import uuid
from pathlib import Path

import pytest
from django.test import override_settings
from django_tenants.utils import schema_context, tenant_context

from erp.celery import consumed_queues, live_workers, queue_depths, queue_has_worker
from erp.localservices import celery_worker_command
from fleet.jobs import run_tenant_job
from fleet.models import FanOutResult, FanOutRun
from inventory.models import ItemImport
from inventory.tasks import import_items
from tenants.models import Tenant
from tests.fleet.fleet_support import committed_db
from tests.support import celery_worker, subprocess_env

db = committed_db
pytestmark = [pytest.mark.usefixtures("db")]
REPO = Path(__file__).resolve().parents[1]
QUEUE = f"custom-{uuid.uuid4().hex[:8]}"
PREFIX = f"tier-{uuid.uuid4().hex[:8]}"


def test_consumed_queues_are_the_default_queue_and_each_plans_fan_out_queue():
    with override_settings(CELERY_TASK_DEFAULT_QUEUE="jobs", FLEET_QUEUE_PREFIX="ops"):
        assert consumed_queues() == ["jobs", *(f"ops.{plan}" for plan in Tenant.Plan.values)]


@pytest.fixture(scope="module")
def make_run_worker(django_db_setup, tmp_path_factory):
    """The worker exactly as `make run` starts it (no -Q), with a default queue and tier prefix other than the
    defaults."""
    env = subprocess_env(CELERY_TASK_DEFAULT_QUEUE=QUEUE, FLEET_QUEUE_PREFIX=PREFIX)
    log = tmp_path_factory.mktemp("worker") / "worker.log"
    with celery_worker(None, log, env=env, command=celery_worker_command(), name=f"{QUEUE}@%h") as worker:
        yield worker


@pytest.mark.worker
def test_a_job_on_a_custom_default_queue_is_taken_by_the_make_run_worker(make_run_worker, acme):
    with tenant_context(acme):
        job = ItemImport.objects.create(file_name="q.csv", content="sku,name,uom\nQ-1,Queued,pcs\n", total_rows=1)
        try:
            # A web process with CELERY_TASK_DEFAULT_QUEUE=<QUEUE> sends here.
            result = import_items.apply_async(args=[job.pk], queue=QUEUE)
            assert result.get(timeout=90)["status"] == "done"
        finally:
            from inventory.models import Item

            Item.objects.filter(sku="Q-1").delete()
            job.delete()


@pytest.mark.worker
def test_a_fan_out_task_on_a_plan_queue_is_taken_by_the_make_run_worker(make_run_worker, acme):
    run = FanOutRun.objects.create(job="sleep", actor="test")
    try:
        result = FanOutResult.objects.create(run=run, tenant=acme, queue=f"{PREFIX}.{acme.plan}")
        with schema_context(acme.schema_name):
            run_tenant_job.apply_async(args=[result.pk, "sleep", {}], queue=result.queue)
        deadline = time.monotonic() + 60
        while FanOutResult.objects.get(pk=result.pk).status != "ok":
            assert time.monotonic() < deadline, "the fan-out result stayed queued"
            time.sleep(0.1)
    finally:
        run.delete()


@pytest.mark.worker
def test_the_worker_leaves_a_heartbeat_naming_the_queues_it_consumes(make_run_worker):
    queues = next(q for name, q in live_workers().items() if name.startswith(f"{QUEUE}@"))
    assert sorted(queues) == sorted([QUEUE, *(f"{PREFIX}.{plan}" for plan in Tenant.Plan.values)])
    assert queue_has_worker(QUEUE) is True
    assert queue_has_worker(f"nobody-{uuid.uuid4().hex[:6]}") is False


def test_queue_depth_counts_the_messages_waiting_in_each_queue(acme):
    lonely = f"lonely-{uuid.uuid4().hex[:8]}"
    with tenant_context(acme):
        for _ in range(3):
            import_items.apply_async(args=[0], queue=lonely)
    try:
        assert queue_depths([lonely, f"{lonely}-empty"]) == {lonely: 3, f"{lonely}-empty": 0}
    finally:
        from erp.celery import app

        with app.connection_for_write() as conn:
            conn.default_channel.queue_purge(lonely)
