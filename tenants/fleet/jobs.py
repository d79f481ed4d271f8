"""Fan-out jobs: a named job run once in every active tenant, one Celery task per tenant, each result recorded.

Each task carries its tenant in its headers (tenant-schemas-celery) and runs in that tenant's schema.

Fair scheduling, as chosen here:
- one queue per plan tier (`<FLEET_QUEUE_PREFIX>.premium|standard|free`). A worker consuming several queues takes
  from them in turn (kombu's Redis transport rotates the queues it polls), so a backlog in one tier delays another
  tier by at most one task per worker slot; ops can also give a tier workers of its own.
- a per-tenant cap (`FLEET_TENANT_CONCURRENCY`, default 1) on how many worker slots one tenant's fleet tasks hold at
  once, a Redis semaphore (a sorted set of holders whose entries expire, so a killed worker's slot comes back).
  A task over its tenant's cap goes back with a short countdown instead of holding a slot, so one tenant's long
  or many jobs cannot starve the others.
- `acks_late` (settings): a task whose worker dies is delivered again.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import redis
from celery import shared_task
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone
from django_tenants.utils import get_public_schema_name, schema_context

from erp.errors import DomainError
from tenants.fleet import report
from tenants.models import FanOutResult, FanOutRun, Tenant

logger = logging.getLogger(__name__)
Status = FanOutResult.Status


class FanOutError(DomainError):
    pass


@dataclass(frozen=True)
class FleetJob:
    name: str
    description: str
    run: Callable[[dict], Any]


JOBS: dict[str, FleetJob] = {}


def fleet_job(name: str, description: str) -> Callable[[Callable[[dict], Any]], Callable[[dict], Any]]:
    """Register a job: a function run inside one tenant's schema, taking the run's params, returning JSON data."""

    def register(fn: Callable[[dict], Any]) -> Callable[[dict], Any]:
        JOBS[name] = FleetJob(name, description, fn)
        return fn

    return register


@fleet_job("tenant_stats", "gather the ops report's figures of each tenant (see tenants.fleet.report)")
def _tenant_stats(params: dict) -> dict:
    figures = report.current_tenant_figures()
    tenant = Tenant.objects.get(schema_name=connection.schema_name)
    report.store_figures(tenant=tenant, figures=figures)
    last = figures.last_activity.isoformat() if figures.last_activity else None
    return {"schema": connection.schema_name, **figures.metrics, "last_activity": last}


@fleet_job("sleep", "sleep `seconds` (default 0) and say where it ran: for tests and scheduling checks")
def _sleep(params: dict) -> dict:
    started = time.time()
    time.sleep(float(params.get("seconds", 0)))
    users = list(get_user_model().objects.order_by("email").values_list("email", flat=True))
    return {"schema": connection.schema_name, "users": users, "started": started, "finished": time.time()}


# --- Scheduling --------------------------------------------------------------------------------------------------


def queue_for(tenant: Tenant) -> str:
    return f"{getattr(settings, 'FLEET_QUEUE_PREFIX', 'fleet')}.{tenant.plan}"


def fleet_queues() -> list[str]:
    return [queue_for(Tenant(plan=plan)) for plan in Tenant.Plan.values]


_ACQUIRE = """
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', tonumber(ARGV[1]) - tonumber(ARGV[2]))
if redis.call('ZSCORE', KEYS[1], ARGV[4]) then return 1 end
if redis.call('ZCARD', KEYS[1]) < tonumber(ARGV[3]) then
    redis.call('ZADD', KEYS[1], ARGV[1], ARGV[4])
    redis.call('EXPIRE', KEYS[1], ARGV[2])
    return 1
end
return 0
"""
_client: redis.Redis | None = None


def _redis() -> redis.Redis:
    global _client
    if _client is None:
        _client = redis.Redis.from_url(settings.REDIS_URL)
    return _client


def _slots_key(schema_name: str) -> str:
    return f"{settings.CACHES['default']['KEY_PREFIX']}:fleet-slots:{schema_name}"


def acquire_slot(schema_name: str, token: str) -> bool:
    """Take one of the tenant's worker slots (FLEET_TENANT_CONCURRENCY); False when all are held."""
    cap = int(getattr(settings, "FLEET_TENANT_CONCURRENCY", 1))
    ttl = int(getattr(settings, "FLEET_SLOT_TTL", 900))
    return bool(_redis().eval(_ACQUIRE, 1, _slots_key(schema_name), time.time(), ttl, cap, token))


def release_slot(schema_name: str, token: str) -> None:
    _redis().zrem(_slots_key(schema_name), token)


# --- Running -----------------------------------------------------------------------------------------------------


def fan_out(*, job: str, actor: str, params: dict | None = None) -> FanOutRun:
    """Send `job` to every active tenant, one task each on its plan's queue; a result row per tenant records it.

    Suspended and archived tenants are left out. Tasks are sent once the run's rows are committed.
    """
    if job not in JOBS:
        raise FanOutError(f"unknown job {job!r}: choose one of {', '.join(sorted(JOBS))}")
    params = params or {}
    connection.set_schema_to_public()
    tenants = list(Tenant.objects.filter(status=Tenant.Status.ACTIVE).exclude(schema_name="public").order_by("slug"))
    with transaction.atomic():
        run = FanOutRun.objects.create(job=job, actor=actor, tenant_count=len(tenants))
        results = FanOutResult.objects.bulk_create(
            [FanOutResult(run=run, tenant=tenant, queue=queue_for(tenant)) for tenant in tenants]
        )
        sends = [(tenant.schema_name, result.pk, result.queue) for tenant, result in zip(tenants, results, strict=True)]
        transaction.on_commit(lambda: _send(job, params, sends))
    return run


def _send(job: str, params: dict, sends: list[tuple[str, int, str]]) -> None:
    for schema_name, result_id, queue in sends:
        with schema_context(schema_name):  # the task's headers carry the schema it is sent from
            run_tenant_job.apply_async(args=[result_id, job, params], queue=queue)


@shared_task(bind=True, name="tenants.fleet.run_tenant_job", max_retries=None)
def run_tenant_job(self, result_id: int, job: str, params: dict) -> str:
    """One tenant's part of a fan-out run, in that tenant's schema; waits its turn if the tenant is at its cap."""
    schema_name = connection.schema_name
    token = self.request.id or f"local-{result_id}"
    if not acquire_slot(schema_name, token):
        # Back to the queue: the slot goes to another tenant's task meanwhile.
        raise self.retry(countdown=0.2 + random.random() * 0.3)
    try:
        _record(result_id, status=Status.RUNNING, started_at=timezone.now(), attempts=F("attempts") + 1)
        try:
            value = JOBS[job].run(params)
        except Exception as exc:
            logger.exception("fleet job %s failed in %s", job, schema_name)
            _record(result_id, status=Status.FAILED, error=f"{type(exc).__name__}: {exc}"[:4000],
                    finished_at=timezone.now())  # fmt: skip
            return Status.FAILED
        _record(result_id, status=Status.OK, result=value, finished_at=timezone.now())
        return Status.OK
    finally:
        release_slot(schema_name, token)


def _record(result_id: int, **fields: Any) -> None:
    # The job runs as the tenant (its PostgreSQL role cannot write the fleet's public tables); the bookkeeping is the
    # platform's own, so it is written as the owner.
    with schema_context(get_public_schema_name()):
        FanOutResult.objects.filter(pk=result_id).update(**fields)


def run_summary(run: FanOutRun) -> dict[str, int]:
    counts: dict[str, int] = {}
    for status in run.results.values_list("status", flat=True):
        counts[status] = counts.get(status, 0) + 1
    return counts


def wait_for_run(run: FanOutRun, *, timeout: float, poll: float = 0.2) -> bool:
    """Block until every tenant's result is final, or `timeout` seconds; True when all finished."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not run.results.filter(status__in=[Status.QUEUED, Status.RUNNING]).exists():
            return True
        time.sleep(poll)
    return False
