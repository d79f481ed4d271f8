"""A fan-out job over both cells on a real worker: each tenant's part runs on its own cell."""

import uuid

import pytest
from django.conf import settings

from fleet.jobs import fan_out, fleet_queues, wait_for_run
from fleet.models import FanOutRun, TenantReportRow
from tests.fleet.fleet_support import committed_db
from tests.support import celery_worker, subprocess_env

db = committed_db
pytestmark = [pytest.mark.usefixtures("db"), pytest.mark.worker]
PREFIX = f"cellstest-{uuid.uuid4().hex[:8]}"


def test_a_fan_out_runs_each_tenants_part_on_its_own_cell(west_and_east, items_on_each_cell, tmp_path, monkeypatch):
    monkeypatch.setattr(settings, "FLEET_QUEUE_PREFIX", PREFIX)
    west, east = west_and_east
    cells = ",".join(f"{name}={spec.url}" for name, spec in settings.CELLS.items())
    env = subprocess_env(FLEET_QUEUE_PREFIX=PREFIX, CELLS=cells)
    with celery_worker(fleet_queues(), tmp_path / "worker.log", env=env):
        run = fan_out(job="tenant_stats", actor="test")
        try:
            assert wait_for_run(run, timeout=60)
            results = {r.tenant.slug: r for r in run.results.select_related("tenant")}
            for tenant in (west, east):
                result = results[tenant.slug]
                assert result.status == "ok", result.error
                assert (result.result["schema"], result.result["items"]) == (tenant.schema_name, 1)
            assert TenantReportRow.objects.filter(tenant__in=[west, east]).count() == 2
        finally:
            FanOutRun.objects.filter(pk=run.pk).delete()
            TenantReportRow.objects.filter(tenant__in=[west, east]).delete()
