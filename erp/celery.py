"""The Celery app. Every task is a tenant task: the sender's schema travels in the message headers
(tenant-schemas-celery) and the worker switches to it before running the task body.

A worker started without `-Q` (`celery -A erp worker`, as `make run` and docker-compose do) consumes exactly the
queues the settings route to: `consumed_queues()`. Every worker also leaves a heartbeat in Redis (`WorkerHeartbeat`),
so a page or `/healthz` can tell whether anything takes jobs from a queue without a broadcast round trip.
"""

import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "erp.settings")

import contextlib
import json
import time

from celery import bootsteps, signals
from tenant_schemas_celery.app import CeleryApp

app = CeleryApp("erp", task_cls="tenants.tasks:TenantBoundTask")

# tenant-schemas-celery switches schemas; ours (tenants.tasks) switch the cell too: theirs are replaced.
signals.task_prerun.disconnect(dispatch_uid="tenant_schemas_switch_schema")
signals.task_postrun.disconnect(dispatch_uid="tenant_schemas_restore_schema")


@signals.task_prerun.connect(dispatch_uid="erp.enter_task_tenant")
def _enter_task_tenant(task, **kwargs) -> None:
    from tenants.tasks import enter_task_tenant

    enter_task_tenant(task)


@signals.task_postrun.connect(dispatch_uid="erp.leave_task_tenant")
def _leave_task_tenant(task, **kwargs) -> None:
    from tenants.tasks import leave_task_tenant

    leave_task_tenant(task)


app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
app.autodiscover_tasks(["fleet"], related_name="jobs")  # fan-out jobs (fleet.jobs)

# A worker writes its heartbeat every HEARTBEAT_SECONDS; one not heard of for WORKER_DEAD_AFTER seconds is gone.
HEARTBEAT_SECONDS = 10
WORKER_DEAD_AFTER = 45


def consumed_queues() -> list[str]:
    """Every queue tasks are sent to: the default queue (CSV imports, MRP runs, every task without a route) and the
    fan-out queues of each plan tier (fleet.jobs). The one list behind `make run`, docker-compose and README."""
    from django.conf import settings

    from fleet.jobs import fleet_queues

    return [settings.CELERY_TASK_DEFAULT_QUEUE, *fleet_queues()]


@signals.celeryd_init.connect
def _consume_routed_queues(sender: str, instance, options: dict, **kwargs) -> None:
    # Runs after Django is set up and before the worker selects its queues; an explicit -Q still wins (a worker
    # dedicated to one tier: -Q fleet.premium).
    if not options.get("queues"):
        for name in consumed_queues():
            instance.app.amqp.queues.select_add(name)


# --- Worker heartbeat (tenant-independent) -------------------------------------------------------------------------


def _heartbeat_key() -> str:
    from django.conf import settings

    return f"{settings.CACHES['default']['KEY_PREFIX']}:celery-workers"


def _redis():
    import redis
    from django.conf import settings

    return redis.Redis.from_url(settings.REDIS_URL, socket_timeout=2, socket_connect_timeout=2)


def heartbeat_write(*, hostname: str, queues: list[str], at: float | None = None) -> None:
    """Record that `hostname` is alive and consuming `queues` (a hash field per worker, JSON)."""
    client = _redis()
    key = _heartbeat_key()
    value = json.dumps({"queues": sorted(queues), "at": time.time() if at is None else at})
    with client.pipeline() as pipe:
        pipe.hset(key, hostname, value)
        pipe.expire(key, WORKER_DEAD_AFTER * 4)
        pipe.execute()


def heartbeat_remove(*, hostname: str) -> None:
    _redis().hdel(_heartbeat_key(), hostname)


def live_workers() -> dict[str, list[str]]:
    """Workers heard of within WORKER_DEAD_AFTER seconds, by hostname, with the queues each consumes. Redis out of
    reach: raises redis.RedisError."""
    now = time.time()
    workers: dict[str, list[str]] = {}
    for hostname, raw in _redis().hgetall(_heartbeat_key()).items():
        with_queues = json.loads(raw)
        if now - float(with_queues["at"]) <= WORKER_DEAD_AFTER:
            workers[hostname.decode()] = with_queues["queues"]
    return workers


def queue_has_worker(queue: str) -> bool | None:
    """True when a live worker consumes `queue`, False when none does, None when Redis cannot tell."""
    import redis

    try:
        return any(queue in queues for queues in live_workers().values())
    except redis.RedisError:
        return None


def queue_depths(queues: list[str]) -> dict[str, int | None]:
    """Messages waiting in each queue on the broker (None: the broker did not answer)."""
    from kombu.exceptions import ChannelError

    depths: dict[str, int | None] = {}
    try:
        with app.connection_for_read() as conn:
            conn.ensure_connection(max_retries=1, timeout=2)
            channel = conn.default_channel
            for name in queues:
                try:
                    depths[name] = channel.queue_declare(queue=name, passive=True).message_count
                except ChannelError:  # never declared or empty (Redis: no list key)
                    depths[name] = 0
    except Exception:  # a broker down is reported as unknown depths, not an error page
        return dict.fromkeys(queues)
    return depths


class WorkerHeartbeat(bootsteps.StartStopStep):
    """Writes this worker's hostname and queues to Redis every HEARTBEAT_SECONDS; removes them on a clean stop."""

    requires = {"celery.worker.components:Timer"}

    def __init__(self, worker, **kwargs) -> None:
        super().__init__(worker, **kwargs)
        self.tref = None

    def _beat(self, worker) -> None:
        import redis

        queues = list(worker.app.amqp.queues.consume_from)
        # The broker's own connection reports Redis trouble; the next beat tries again.
        with contextlib.suppress(redis.RedisError):
            heartbeat_write(hostname=worker.hostname, queues=queues)

    def start(self, worker) -> None:
        self._beat(worker)
        self.tref = worker.timer.call_repeatedly(HEARTBEAT_SECONDS, self._beat, (worker,), priority=10)

    def stop(self, worker) -> None:
        import redis

        if self.tref is not None:
            self.tref.cancel()
            self.tref = None
        with contextlib.suppress(redis.RedisError):
            heartbeat_remove(hostname=worker.hostname)


app.steps["worker"].add(WorkerHeartbeat)


# A queued job (a background-job row: ItemImport, MrpRun) still pending after this long gets a warning on its page
# when no live worker consumes the queue it was sent to.
JOB_STALLED_AFTER_SECONDS = 60


def job_lacks_worker(job) -> bool:
    """True when `job` has waited to start for over a minute and no worker takes jobs from the default queue."""
    from django.conf import settings
    from django.utils import timezone

    if job.status != "pending" or (timezone.now() - job.created_at).total_seconds() < JOB_STALLED_AFTER_SECONDS:
        return False
    return queue_has_worker(settings.CELERY_TASK_DEFAULT_QUEUE) is False
