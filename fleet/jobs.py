"""Fan-out jobs: a named job run once in every active tenant, one Celery task per tenant, each result recorded.

Each task carries its tenant in its headers (tenant-schemas-celery) and runs in that tenant's schema.

Fair scheduling, as chosen here:
- one queue per plan tier (`<FLEET_QUEUE_PREFIX>.premium|standard|free`). A worker consuming several queues takes
  from them in turn (kombu's Redis transport rotates the queues it polls), so a backlog in one tier delays another
  tier by at most one task per worker slot; ops can also give a tier workers of its own.
- a per-tenant cap (`FLEET_TENANT_CONCURRENCY`, default 1) on how many worker slots one tenant's fleet tasks hold at
  once, a Redis semaphore (a sorted set of holders scored by their last heartbeat). A running task refreshes its
  entry every FLEET_SLOT_TTL / 3 seconds from a heartbeat thread, so a killed worker's slot lapses FLEET_SLOT_TTL
  seconds after it died. A task over its tenant's cap goes back with an exponential, jittered countdown (bounded:
  after FLEET_RETRY_LIMIT waits its result is recorded failed) instead of holding a slot or spinning.

Faults, as handled here:
- `acks_late` (settings): a task whose worker dies is delivered again after the broker's visibility timeout
  (CELERY_BROKER_TRANSPORT_OPTIONS, sized to the longest job).
- exactly once in effect: a task claims its result row (queued, or running with a stale heartbeat) before running
  the job; a delivery whose result is already final (ok, failed, skipped) returns without running it again, and one
  whose result a live worker holds waits its turn.
- a task refused because its tenant stopped being active after the fan-out was sent records `skipped`.
- `stuck_results` lists running results whose holder stopped beating and results queued too long (fleet_report).
"""

from __future__ import annotations

import logging
import os
import random
import socket
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import redis
from celery import shared_task
from django.conf import settings
from django.db import connection, connections, transaction
from django.db.models import F, Q
from django.utils import timezone
from django_tenants.utils import get_public_schema_name, schema_context

from cells.routing import control_alias
from core.errors import DomainError
from fleet import report
from fleet.models import FanOutResult, FanOutRun
from tenants.models import Tenant
from tenants.tasks import TenantBoundTask, TenantNotActive

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


@fleet_job("tenant_stats", "gather the ops report's figures of each tenant (see fleet.report)")
def _tenant_stats(params: dict) -> dict:
    figures = report.current_tenant_figures()
    tenant = Tenant.objects.get(schema_name=connection.schema_name)
    report.store_figures(tenant=tenant, figures=figures)
    last = figures.last_activity.isoformat() if figures.last_activity else None
    return {"schema": connection.schema_name, **figures.metrics, "last_activity": last}


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


def slot_ttl() -> int:
    return max(1, int(getattr(settings, "FLEET_SLOT_TTL", 30)))


def acquire_slot(schema_name: str, token: str) -> bool:
    """Take one of the tenant's worker slots (FLEET_TENANT_CONCURRENCY); False when all are held."""
    cap = int(getattr(settings, "FLEET_TENANT_CONCURRENCY", 1))
    return bool(_redis().eval(_ACQUIRE, 1, _slots_key(schema_name), time.time(), slot_ttl(), cap, token))


def refresh_slot(schema_name: str, token: str) -> None:
    """The holder is alive: push its slot's expiry FLEET_SLOT_TTL seconds on (only if it still holds it)."""
    key = _slots_key(schema_name)
    _redis().pipeline().zadd(key, {token: time.time()}, xx=True).expire(key, slot_ttl()).execute()


def release_slot(schema_name: str, token: str) -> None:
    _redis().zrem(_slots_key(schema_name), token)


def retry_countdown(retries: int) -> float:
    """Seconds before the `retries`-th wait for a busy tenant: exponential, capped, jittered (50-100 %)."""
    base = float(getattr(settings, "FLEET_RETRY_BASE", 0.5))
    cap = float(getattr(settings, "FLEET_RETRY_MAX_DELAY", 30.0))
    return min(cap, base * 2 ** min(retries, 30)) * random.uniform(0.5, 1.0)


class _Heartbeat(threading.Thread):
    """Refreshes a running task's slot and its result's heartbeat_at every FLEET_SLOT_TTL / 3 seconds."""

    def __init__(self, *, schema_name: str, token: str, result_id: int, holder: str) -> None:
        super().__init__(name=f"fleet-heartbeat-{result_id}", daemon=True)
        self.schema_name, self.token, self.result_id, self.holder = schema_name, token, result_id, holder
        self.halt = threading.Event()

    def run(self) -> None:
        try:
            while not self.halt.wait(slot_ttl() / 3):
                try:
                    refresh_slot(self.schema_name, self.token)
                    with schema_context(get_public_schema_name()):
                        FanOutResult.objects.filter(pk=self.result_id, holder=self.holder).update(
                            heartbeat_at=timezone.now()
                        )
                except Exception:  # a missed beat is retried at the next one; the job goes on
                    logger.warning("fleet heartbeat of result %s failed", self.result_id, exc_info=True)
        finally:
            connections.close_all()  # this thread's own connections

    def stop(self) -> None:
        self.halt.set()
        self.join(timeout=10)


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
    with transaction.atomic(using=control_alias()):
        run = FanOutRun.objects.create(job=job, actor=actor, tenant_count=len(tenants))
        results = FanOutResult.objects.bulk_create(
            [FanOutResult(run=run, tenant=tenant, queue=queue_for(tenant)) for tenant in tenants]
        )
        sends = [(tenant.schema_name, result.pk, result.queue) for tenant, result in zip(tenants, results, strict=True)]
        transaction.on_commit(lambda: _send(job, params, sends), using=control_alias())
    return run


def _send(job: str, params: dict, sends: list[tuple[str, int, str]]) -> None:
    # Only the schema name travels (a worker finds the tenant's cell in the registry: tenants.tasks), so the headers
    # are set on whichever connection is in place; nothing is sent to PostgreSQL.
    for schema_name, result_id, queue in sends:
        with schema_context(schema_name):  # the task's headers carry the schema it is sent from
            run_tenant_job.apply_async(args=[result_id, job, params], queue=queue)


FINAL = (Status.OK, Status.FAILED, Status.SKIPPED)


class FleetTask(TenantBoundTask):
    """A fan-out task: a refusal because the tenant is no longer active is recorded as the result (`skipped`)."""

    abstract = True

    def __call__(self, *args, **kwargs):
        try:
            return super().__call__(*args, **kwargs)
        except TenantNotActive:
            result_id = args[0] if args else kwargs["result_id"]
            schema_name = connection.schema_name
            with schema_context(get_public_schema_name()):
                status = Tenant.objects.filter(schema_name=schema_name).values_list("status", flat=True).first()
                FanOutResult.objects.filter(pk=result_id).exclude(status__in=FINAL).update(
                    status=Status.SKIPPED, error=f"skipped: tenant {status or 'gone'}", finished_at=timezone.now()
                )
            logger.info("fleet result %s skipped: tenant %s is %s", result_id, schema_name, status)
            return Status.SKIPPED


def _claim(result_id: int, holder: str) -> bool:
    """Take the result for this delivery: it is queued, or its last holder stopped beating (died). One winner."""
    now = timezone.now()
    stale = now - timedelta(seconds=slot_ttl())
    with schema_context(get_public_schema_name()):
        return bool(
            FanOutResult.objects.filter(pk=result_id)
            .filter(
                Q(status=Status.QUEUED)
                | Q(status=Status.RUNNING) & (Q(heartbeat_at__lt=stale) | Q(heartbeat_at__isnull=True))
            )
            .update(status=Status.RUNNING, holder=holder, heartbeat_at=now, started_at=now, attempts=F("attempts") + 1)
        )


def _status_of(result_id: int) -> str | None:
    with schema_context(get_public_schema_name()):
        return FanOutResult.objects.filter(pk=result_id).values_list("status", flat=True).first()


@shared_task(
    bind=True,
    base=FleetTask,
    name="tenants.fleet.run_tenant_job",  # the name queued messages carry: kept when the code moved to fleet/
    max_retries=None,
    time_limit=getattr(settings, "FLEET_JOB_TIME_LIMIT", 600),
)
def run_tenant_job(self, result_id: int, job: str, params: dict) -> str:
    """One tenant's part of a fan-out run, in that tenant's schema; waits its turn if the tenant is at its cap.

    Runs the job at most once to completion however often the message is delivered (see the module docstring).
    """
    schema_name = connection.schema_name
    # One token per delivery: a duplicate delivery of this task must not release the slot its twin holds.
    token = f"{self.request.id or 'local'}:{uuid.uuid4().hex[:8]}"
    status = _status_of(result_id)
    if status is None or status in FINAL:
        return status or "gone"  # a re-delivery of finished work (or of a deleted run): nothing to do
    if not acquire_slot(schema_name, token):
        return _wait_turn(self, result_id, "tenant busy: every worker slot of this tenant is held")
    holder = f"{socket.gethostname()}:{os.getpid()}:{token}"
    try:
        if not _claim(result_id, holder):
            status = _status_of(result_id)
            if status is None or status in FINAL:
                return status or "gone"
            return _wait_turn(self, result_id, "another live worker is running this result")
        heartbeat = _Heartbeat(schema_name=schema_name, token=token, result_id=result_id, holder=holder)
        heartbeat.start()
        try:
            value = JOBS[job].run(params)
        except Exception as exc:
            logger.exception("fleet job %s failed in %s", job, schema_name)
            _record(result_id, holder, status=Status.FAILED, error=f"{type(exc).__name__}: {exc}"[:4000],
                    finished_at=timezone.now())  # fmt: skip
            return Status.FAILED
        finally:
            heartbeat.stop()
        _record(result_id, holder, status=Status.OK, result=value, finished_at=timezone.now())
        return Status.OK
    finally:
        release_slot(schema_name, token)


def _wait_turn(task, result_id: int, why: str) -> str:
    """Back to the queue with an exponential countdown; after FLEET_RETRY_LIMIT waits the result is failed."""
    retries = task.request.retries
    limit = int(getattr(settings, "FLEET_RETRY_LIMIT", 25))
    if retries >= limit:
        with schema_context(get_public_schema_name()):
            FanOutResult.objects.filter(pk=result_id).exclude(status__in=FINAL).exclude(status=Status.RUNNING).update(
                status=Status.FAILED, error=f"{why}; gave up after {retries} waits", finished_at=timezone.now()
            )
        return Status.FAILED
    raise task.retry(countdown=retry_countdown(retries))


def _record(result_id: int, holder: str, **fields: Any) -> None:
    # The job runs as the tenant (its PostgreSQL role cannot write the fleet's public tables); the bookkeeping is the
    # platform's own, so it is written as the owner. Only while this delivery still holds the result.
    with schema_context(get_public_schema_name()):
        FanOutResult.objects.filter(pk=result_id, holder=holder).update(**fields)


def stuck_results(*, now: datetime | None = None) -> list[tuple[FanOutResult, str]]:
    """Fan-out results that are not moving: running with a holder that stopped beating, or queued too long."""
    now = now or timezone.now()
    dead = now - timedelta(seconds=slot_ttl())
    queued_for = int(getattr(settings, "FLEET_QUEUED_STUCK_AFTER", 900))
    stuck = []
    rows = FanOutResult.objects.select_related("run", "tenant").filter(
        Q(status=Status.RUNNING) & (Q(heartbeat_at__lt=dead) | Q(heartbeat_at__isnull=True))
        | Q(status=Status.QUEUED, run__started_at__lt=now - timedelta(seconds=queued_for))
    )
    for result in rows.order_by("run_id", "tenant__slug"):
        if result.status == Status.RUNNING:
            beat = result.heartbeat_at.isoformat() if result.heartbeat_at else "never"
            why = f"running, holder {result.holder or '?'} silent since {beat} (dead worker: redelivery pending)"
        else:
            why = f"queued since {result.run.started_at.isoformat()} (no worker consumes {result.queue}?)"
        stuck.append((result, why))
    return stuck


def run_summary(run: FanOutRun) -> dict[str, int]:
    counts: dict[str, int] = {}
    for status in run.results.values_list("status", flat=True):
        counts[status] = counts.get(status, 0) + 1
    return counts


def wait_for_run(run: FanOutRun, *, timeout: float, poll: float = 0.2) -> bool:
    """Block until every tenant's result is final, or `timeout` seconds; True when all finished."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not run.results.exclude(status__in=FINAL).exists():
            return True
        time.sleep(poll)
    return False
