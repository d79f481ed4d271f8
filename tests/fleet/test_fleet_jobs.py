"""Fan-out jobs on a real Celery worker process (threads pool, 2 slots) consuming queues no other worker knows."""

import itertools
import time
import uuid

import pytest
from django.conf import settings
from django_tenants.utils import schema_context

from fleet.jobs import fan_out, fleet_queues, run_tenant_job, wait_for_run
from fleet.models import FanOutResult, FanOutRun, TenantArchive, TenantReportRow
from fleet.offboarding import tenant_archive, tenant_suspend
from tenants.models import Tenant
from tests.fleet.fleet_support import committed_db, committed_tenants
from tests.support import celery_worker, subprocess_env

db = committed_db
pytestmark = [pytest.mark.usefixtures("db"), pytest.mark.worker]
PREFIX = f"fleettest-{uuid.uuid4().hex[:8]}"


@pytest.fixture(autouse=True)
def _unique_queues(settings):
    settings.FLEET_QUEUE_PREFIX = PREFIX


@pytest.fixture(scope="module")
def fleet_worker(django_db_setup, tmp_path_factory):
    """A worker with two threads on the test database, consuming this module's tier queues."""
    settings.FLEET_QUEUE_PREFIX = PREFIX
    env = subprocess_env(FLEET_QUEUE_PREFIX=PREFIX, FLEET_TENANT_CONCURRENCY="1")
    with celery_worker(fleet_queues(), tmp_path_factory.mktemp("worker") / "worker.log", env=env) as worker:
        yield worker


def _manual_run(job: str) -> FanOutRun:
    return FanOutRun.objects.create(job=job, actor="test")


def _send(run: FanOutRun, tenant: Tenant, params: dict) -> FanOutResult:
    result = FanOutResult.objects.create(run=run, tenant=tenant, queue=f"{PREFIX}.{tenant.plan}")
    with schema_context(tenant.schema_name):
        run_tenant_job.apply_async(args=[result.pk, run.job, params], queue=result.queue)
    return result


def _wait(results: list[FanOutResult], timeout: float = 60) -> list[FanOutResult]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        fresh = [FanOutResult.objects.get(pk=r.pk) for r in results]
        if all(r.status in ("ok", "failed") for r in fresh):
            return fresh
        time.sleep(0.1)
    raise AssertionError(f"not finished: {[(r.tenant_id, r.status) for r in fresh]}")


def test_fan_out_reaches_every_active_tenant_and_no_suspended_or_archived_one(fleet_worker, tmp_path,
                                                                               django_db_blocker):  # fmt: skip
    with committed_tenants(django_db_blocker, "fo-on", "fo-paused", "fo-gone") as (_, paused, gone):
        tenant_suspend(tenant=paused, actor="test")
        tenant_archive(tenant=gone, actor="test", path=tmp_path / "gone.tar.gz")
        try:
            run = fan_out(job="tenant_stats", actor="test")
            assert wait_for_run(run, timeout=60)
            results = {r.tenant.slug: r for r in run.results.select_related("tenant")}
            active = set(Tenant.objects.filter(status="active").values_list("slug", flat=True))
            assert set(results) == active
            assert {"acme", "globex", "fo-on"} <= active and not {"fo-paused", "fo-gone"} & set(results)
            for slug, result in results.items():
                assert result.status == "ok", result.error
                assert result.result["schema"] == Tenant.objects.get(slug=slug).schema_name
                assert result.queue == f"{PREFIX}.{result.tenant.plan}"
            assert results["acme"].result["users"] >= 1
            assert TenantReportRow.objects.filter(tenant__slug="acme").exists()
        finally:
            FanOutRun.objects.all().delete()
            TenantReportRow.objects.all().delete()
            TenantArchive.objects.filter(tenant_slug="fo-gone").delete()


def test_task_sent_from_acme_runs_in_acme_while_the_worker_is_busy_with_globex(fleet_worker):
    acme, globex = Tenant.objects.get(slug="acme"), Tenant.objects.get(slug="globex")
    run = _manual_run("sleep")
    try:
        busy = _send(run, globex, {"seconds": 2})
        deadline = time.monotonic() + 30
        while FanOutResult.objects.get(pk=busy.pk).status != "running":
            assert time.monotonic() < deadline
            time.sleep(0.05)
        from_acme = _send(run, acme, {"seconds": 0})

        busy, from_acme = _wait([busy, from_acme])
        assert from_acme.result["schema"] == "acme"
        assert from_acme.result["users"] == ["boss@acme.test"]
        assert busy.result["schema"] == "globex"
        assert busy.result["users"] == ["boss@globex.test"]
        assert from_acme.result["finished"] < busy.result["finished"]  # ran beside globex's, not after it
    finally:
        run.delete()


def test_one_tenants_many_long_jobs_do_not_starve_another_tenant(fleet_worker):
    """Per-tenant cap of 1 slot: acme's 3 one-second jobs run one at a time; globex's job takes the free slot."""
    acme, globex = Tenant.objects.get(slug="acme"), Tenant.objects.get(slug="globex")
    runs = [_manual_run("sleep") for _ in range(3)]  # one result per tenant per run
    try:
        acme_jobs = [_send(run, acme, {"seconds": 1}) for run in runs]
        sent = time.time()
        globex_job = _send(runs[0], globex, {"seconds": 0})

        *acme_jobs, globex_job = _wait([*acme_jobs, globex_job])
        spans = sorted((r.result["started"], r.result["finished"]) for r in acme_jobs)
        for (_, end), (start, _) in itertools.pairwise(spans):
            assert start >= end - 0.05, "two of acme's jobs held worker slots at once"
        assert globex_job.result["finished"] - sent < 1.5  # did not wait for acme's backlog (3 s)
        assert globex_job.result["finished"] < spans[1][1]
    finally:
        FanOutRun.objects.filter(pk__in=[run.pk for run in runs]).delete()
