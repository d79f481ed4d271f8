"""Fan-out jobs under faults: a whole worker killed mid-run, re-deliveries, tenants suspended after sending, busy
tenants. Real Celery worker processes (threads pool) on queues of this module only, with a small visibility timeout."""

import io
import threading
import time
import uuid
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone
from django_tenants.utils import schema_context

from fleet import jobs
from fleet.jobs import acquire_slot, fan_out, fleet_queues, release_slot, run_tenant_job, wait_for_run
from fleet.models import FanOutResult, FanOutRun
from fleet.offboarding import tenant_resume, tenant_suspend
from tenants.models import Tenant
from tests.fleet.fleet_support import committed_db
from tests.support import stop_celery_worker, subprocess_env

db = committed_db
pytestmark = [pytest.mark.usefixtures("db"), pytest.mark.worker]
PREFIX = f"fleetfault-{uuid.uuid4().hex[:8]}"
VISIBILITY = 4  # seconds before a dead worker's unacknowledged task is delivered again
SLOT_TTL = 3  # seconds a dead worker's slot and result outlive its last heartbeat


@pytest.fixture(autouse=True)
def _unique_queues(settings):
    settings.FLEET_QUEUE_PREFIX = PREFIX
    settings.FLEET_SLOT_TTL = SLOT_TTL


@pytest.fixture
def worker_env():
    return subprocess_env(
        FLEET_QUEUE_PREFIX=PREFIX,
        FLEET_TENANT_CONCURRENCY="1",
        FLEET_SLOT_TTL=str(SLOT_TTL),
        FLEET_RETRY_BASE="0.2",
        FLEET_RETRY_MAX_DELAY="2",
        CELERY_BROKER_VISIBILITY_TIMEOUT=str(VISIBILITY),
        CELERY_BROKER_RESTORE_INTERVAL="1",
    )


@pytest.fixture
def workers(worker_env, celery_workers):
    """Starts workers on demand (`workers(env)`); kills whatever is left of them at the end."""
    return lambda env=None: celery_workers(fleet_queues(), env=env or worker_env)


def _wait_for(predicate, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, what
        time.sleep(0.1)


def test_worker_killed_mid_fan_out_each_job_finishes_once_after_a_fresh_worker_starts(workers):
    first = workers()
    run = fan_out(job="sleep", actor="test", params={"seconds": 3})
    try:
        _wait_for(lambda: run.results.filter(status="running").count() == run.tenant_count == 2, 60, "jobs never ran")

        stop_celery_worker(first)  # main process and every thread, mid-job
        assert run.results.filter(status="running").count() == 2  # nobody left to finish them
        workers()
        killed_at = time.monotonic()

        assert wait_for_run(run, timeout=60), list(run.results.values_list("status", "holder"))
        took = time.monotonic() - killed_at
        results = list(run.results.all())
        assert {r.status for r in results} == {"ok"}, [(r.status, r.error) for r in results]
        assert all(r.attempts == 2 for r in results)  # the killed start, then the one that finished
        assert took < 40  # not 3,600 s of visibility timeout nor 900 s of a dead worker's slot

        # Exactly once: later deliveries (the broker's copies, retries) find the result final and leave it alone.
        before = {r.pk: (r.attempts, r.finished_at, r.result) for r in results}
        time.sleep(VISIBILITY + 3)
        assert {r.pk: (r.attempts, r.finished_at, r.result) for r in run.results.all()} == before
    finally:
        run.delete()


def test_redelivered_task_whose_result_is_already_ok_does_not_run_the_job_again(acme_committed):
    run = FanOutRun.objects.create(job="sleep", actor="test")
    done = timezone.now()
    result = FanOutResult.objects.create(
        run=run, tenant=acme_committed, queue="q", status="ok", attempts=1, result={"first": True}, finished_at=done
    )
    try:
        with schema_context(acme_committed.schema_name):
            outcome = run_tenant_job.apply(args=[result.pk, "sleep", {"seconds": 0}]).get()
        result.refresh_from_db()
        assert outcome == "ok"
        assert (result.attempts, result.result, result.finished_at) == (1, {"first": True}, done)
    finally:
        run.delete()


def test_task_for_a_tenant_suspended_after_sending_records_skipped(acme_committed, workers):
    workers()
    run = FanOutRun.objects.create(job="sleep", actor="test")
    result = FanOutResult.objects.create(run=run, tenant=acme_committed, queue=f"{PREFIX}.{acme_committed.plan}")
    tenant_suspend(tenant=acme_committed, actor="test")
    try:
        with schema_context(acme_committed.schema_name):
            run_tenant_job.apply_async(args=[result.pk, "sleep", {}], queue=result.queue)
        assert wait_for_run(run, timeout=30), result.status
        result.refresh_from_db()
        assert (result.status, result.error) == ("skipped", "skipped: tenant suspended")
        assert result.attempts == 0
    finally:
        tenant_resume(tenant=Tenant.objects.get(pk=acme_committed.pk), actor="test")
        run.delete()


def test_busy_tenant_backs_off_and_gives_up_after_the_retry_limit_instead_of_spinning(acme_committed, workers,
                                                                                       worker_env):  # fmt: skip
    """A live holder keeps acme's only slot; the task waits 0.2, 0.4, 0.8 s (jittered 50-100 %) and then gives up."""
    workers({**worker_env, "FLEET_RETRY_LIMIT": "3"})
    holder = f"someone-else-{uuid.uuid4().hex[:6]}"
    assert acquire_slot(acme_committed.schema_name, holder)
    stop = threading.Event()

    def keep_alive():
        while not stop.wait(0.5):
            jobs.refresh_slot(acme_committed.schema_name, holder)

    beat = threading.Thread(target=keep_alive)
    beat.start()
    run = FanOutRun.objects.create(job="sleep", actor="test")
    result = FanOutResult.objects.create(run=run, tenant=acme_committed, queue=f"{PREFIX}.{acme_committed.plan}")
    try:
        sent = time.monotonic()
        with schema_context(acme_committed.schema_name):
            run_tenant_job.apply_async(args=[result.pk, "sleep", {}], queue=result.queue)
        assert wait_for_run(run, timeout=30)
        waited = time.monotonic() - sent
        result.refresh_from_db()
        assert result.status == "failed"
        assert result.error == "tenant busy: every worker slot of this tenant is held; gave up after 3 waits"
        assert result.attempts == 0  # the job never ran
        assert waited >= 0.7  # 0.5 x (0.2 + 0.4 + 0.8): it waited, it did not spin
    finally:
        stop.set()
        beat.join()
        release_slot(acme_committed.schema_name, holder)
        run.delete()


def test_wait_for_a_busy_tenant_grows_exponentially_up_to_its_cap(settings):
    settings.FLEET_RETRY_BASE = 0.5
    settings.FLEET_RETRY_MAX_DELAY = 30
    for retries, full in [(0, 0.5), (1, 1.0), (3, 4.0), (5, 16.0), (6, 30.0), (40, 30.0)]:
        waits = [jobs.retry_countdown(retries) for _ in range(50)]
        assert all(full * 0.5 <= wait <= full for wait in waits), (retries, min(waits), max(waits))
        assert len(set(waits)) > 1  # jittered: tasks that collided do not collide again


def test_fleet_report_lists_running_work_whose_worker_died_and_work_queued_too_long(acme_committed, settings):
    settings.FLEET_QUEUED_STUCK_AFTER = 600
    globex = Tenant.objects.get(slug="globex")
    run = FanOutRun.objects.create(job="tenant_stats", actor="test")
    FanOutRun.objects.filter(pk=run.pk).update(started_at=timezone.now() - timedelta(hours=1))
    silent = timezone.now() - timedelta(minutes=5)
    FanOutResult.objects.create(run=run, tenant=acme_committed, queue="q", status="running", holder="w1:42:t",
                                heartbeat_at=silent)  # fmt: skip
    FanOutResult.objects.create(run=run, tenant=globex, queue=f"{PREFIX}.premium")
    fresh = FanOutRun.objects.create(job="tenant_stats", actor="test")
    FanOutResult.objects.create(run=fresh, tenant=acme_committed, queue="q", status="running", holder="w2:7:t",
                                heartbeat_at=timezone.now())  # fmt: skip
    try:
        out = io.StringIO()
        call_command("fleet_report", "--stored", stdout=out)
        stuck = [line for line in out.getvalue().splitlines() if line.startswith("stuck:")]
        assert len(stuck) == 2, out.getvalue()
        assert f"stuck: fan-out #{run.pk} tenant_stats for acme: running, holder w1:42:t silent since" in stuck[0]
        assert f"stuck: fan-out #{run.pk} tenant_stats for globex: queued since" in stuck[1]
        assert f"{PREFIX}.premium" in stuck[1]
    finally:
        FanOutRun.objects.filter(pk__in=[run.pk, fresh.pk]).delete()


@pytest.fixture
def acme_committed():
    return Tenant.objects.get(slug="acme")
