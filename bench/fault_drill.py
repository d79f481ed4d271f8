"""Fault drill: fleet operations meeting the faults an operator meets, on N tenants in a database of its own.

    .venv/bin/python bench/fault_drill.py [--tenants 50]

Uses its own database (erp_bench_drill) on the server DATABASE_URL points to and drops it afterwards; Redis keys and
Celery queues get a prefix of their own. Sections, each printing one result line:
- jobs:  a fan-out to every tenant (a 1 s job counting its starts and completions in Redis) on a real Celery worker
         (threads pool, 4), the worker's whole process group killed -9 while jobs run, a fresh worker started.
         Prints "jobs finished exactly once: N/N" (ok, and completed once) and how long recovery took.
- runs:  a new migration (an AddField in the throwaway tenant app bench/benchfleet) pending on every schema; the real
         `migrate_fleet` killed -9 mid-run (slowed by a sleep inside each schema's transaction, a seam of this
         script), then `migrate_fleet --retry-failed`. Prints "runs closed" and whether every schema got the column.
- suspensions, archives: `drill_suspensions(tenants)` and `drill_archives(tenants)` of bench/_drill_registry.py, each
         given the drill's Tenant rows: every suspension applied within the recheck bound, every damaged or tampered
         archive refused with nothing created.
A last line sums up; the exit status is 1 if any check failed (a job not finished exactly once, a run left open or a
schema not migrated, a suspension not applied within the bound or an API 5xx without Redis, an archive accepted or
anything created), else 0. `--database NAME` gives the drill another database (two drills at once).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import traceback
import uuid
from datetime import timedelta
from pathlib import Path

from _support import LOG_DIR, REPO, drop_database, setup_django, use_private_database

DB_NAME = "erp_bench_drill"
BENCH = Path(__file__).resolve().parent
PREFIX = f"drill-{uuid.uuid4().hex[:6]}"
JOB_SECONDS = 1.5

DRILL_SETTINGS = """from fleet_settings import *  # noqa: F403

CELERY_IMPORTS = ["drill_jobs"]
"""
DRILL_JOBS = '''"""The drill's fan-out job: counts its starts and completions per schema in Redis, so doubles show."""

import time

import redis
from django.conf import settings
from django.db import connection

from fleet.jobs import fleet_job

_redis = redis.Redis.from_url(settings.REDIS_URL)


def counter_key(schema_name):
    return f"{settings.CACHES['default']['KEY_PREFIX']}:drill:{schema_name}"


@fleet_job("drill_count", "fault drill: sleep `seconds`, counting starts and completions per schema")
def drill_count(params):
    key = counter_key(connection.schema_name)
    _redis.hincrby(key, "started", 1)
    time.sleep(float(params.get("seconds", 1)))
    _redis.hincrby(key, "finished", 1)
    return {"schema": connection.schema_name}
'''
# The slow seam: the real command, with a sleep inside each schema's transaction so the drill can kill it mid-run.
SLOW_MIGRATE_FLEET = """
import sys, time
import django
django.setup()
from django.core.management import call_command
from fleet.migrator import apply as migrations

real_set_lock_timeout = migrations._set_lock_timeout

def slow_set_lock_timeout(seconds):
    real_set_lock_timeout(seconds)
    time.sleep(float(sys.argv[1]))

migrations._set_lock_timeout = slow_set_lock_timeout
call_command("migrate_fleet", "--skip-shared", "--concurrency", "1")
"""


def child_env(tmp: Path) -> dict[str, str]:
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "drill_settings",
        "PYTHONPATH": os.pathsep.join([str(tmp), str(BENCH), str(REPO)]),
        "CACHE_KEY_PREFIX": PREFIX,
        "FLEET_QUEUE_PREFIX": PREFIX,
        "FLEET_TENANT_CONCURRENCY": "1",
        "FLEET_SLOT_TTL": "4",
        "FLEET_RETRY_BASE": "0.2",
        "FLEET_RETRY_MAX_DELAY": "3",
        "CELERY_BROKER_VISIBILITY_TIMEOUT": "8",
        "CELERY_BROKER_RESTORE_INTERVAL": "1",
        "LOG_LEVEL": "WARNING",
    }


def start_worker(env: dict[str, str], queues: list[str], log: Path) -> subprocess.Popen:
    with open(log, "wb") as out:
        worker = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "erp", "worker", "-P", "threads", "-c", "4", "-Q", ",".join(queues),
             "--without-gossip", "--without-mingle", "--without-heartbeat", "-l", "info",
             "-n", f"{PREFIX}-{time.time_ns()}@%h"],
            cwd=REPO, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
    deadline = time.monotonic() + 90
    while b"ready." not in log.read_bytes():
        if worker.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError(f"worker did not start: {log.read_text(errors='replace')[-2000:]}")
        time.sleep(0.2)
    return worker


def kill_group(process: subprocess.Popen) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
    process.wait(timeout=30)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tenants", type=int, default=50)
    parser.add_argument("--database", default=DB_NAME, help=f"its own database (default {DB_NAME}), dropped after")
    args = parser.parse_args()
    n = max(2, args.tenants)

    from fleet_migrate import ADD_FIELD, INITIAL  # the throwaway app's migrations

    tmp = Path(tempfile.mkdtemp(prefix="faultdrill-"))
    package = tmp / "benchfleet_migrations"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "0001_initial.py").write_text(INITIAL)
    (tmp / "drill_settings.py").write_text(DRILL_SETTINGS)
    (tmp / "drill_jobs.py").write_text(DRILL_JOBS)
    sys.path[:0] = [str(tmp), str(BENCH)]
    os.environ.update(
        {k: v for k, v in child_env(tmp).items() if k not in ("PYTHONPATH",) and not k.startswith("CELERY_")}
    )
    use_private_database(args.database)
    setup_django()
    env = child_env(tmp)
    env["DATABASE_URL"] = os.environ["DATABASE_URL"]
    LOG_DIR.mkdir(parents=True, exist_ok=True)

    import drill_jobs
    from django.core.management import call_command
    from django.db import connection
    from django.db.models import Count
    from django.utils import timezone

    from fleet.jobs import fan_out, fleet_queues, wait_for_run
    from fleet.migrator import run_fleet_migration
    from fleet.models import FleetMigrationRun, RunStatus
    from tenants import schema_template
    from tenants.models import Tenant
    from tenants.services import tenant_create

    workers: list[subprocess.Popen] = []
    failed: list[str] = []  # the sections whose check failed
    try:
        call_command("migrate_schemas", shared=True, interactive=False, verbosity=0)
        schema_template.ensure_fresh_template()
        started = time.perf_counter()
        for i in range(n):
            tenant_create(slug=f"d{i:04d}", name=f"Drill {i}", admin_email=f"a@d{i}.test")
        print(f"{n} tenants provisioned in {time.perf_counter() - started:.1f} s", flush=True)
        tenants = list(Tenant.objects.exclude(schema_name="public").order_by("slug"))

        # --- jobs: kill -9 of a whole worker mid fan-out ---------------------------------------------------------
        queues = fleet_queues()
        workers.append(start_worker(env, queues, LOG_DIR / f"{PREFIX}-worker-1.log"))
        run = fan_out(job="drill_count", actor="drill", params={"seconds": JOB_SECONDS})
        # Kill once a quarter of the jobs are done (when there are enough) and some are mid-job, not at their end.
        deadline = time.monotonic() + 120
        while True:
            now = timezone.now()
            mid_job = run.results.filter(
                status="running",
                started_at__lte=now - timedelta(seconds=0.3),
                started_at__gte=now - timedelta(seconds=JOB_SECONDS - 0.5),
            )
            if run.results.filter(status="ok").count() >= (n // 4 if n >= 8 else 0) and mid_job.exists():
                break
            if time.monotonic() > deadline:
                raise RuntimeError("the fan-out never got going")
            time.sleep(0.05)
        cut = dict(run.results.values_list("status").annotate(c=Count("id")))
        kill_group(workers.pop())
        killed_at = time.perf_counter()
        workers.append(start_worker(env, queues, LOG_DIR / f"{PREFIX}-worker-2.log"))
        finished = wait_for_run(run, timeout=300)
        recovery = time.perf_counter() - killed_at
        time.sleep(10)  # past the visibility timeout: any late duplicate delivery would show now
        client = drill_jobs._redis
        once = 0
        twice = []
        for result in run.results.select_related("tenant"):
            counts = client.hgetall(drill_jobs.counter_key(result.tenant.schema_name))
            completed = int(counts.get(b"finished", 0))
            if result.status == "ok" and completed == 1:
                once += 1
            elif completed > 1:
                twice.append(result.tenant.slug)
        redelivered = run.results.filter(attempts__gt=1).count()
        print(
            f"jobs finished exactly once: {once}/{run.tenant_count} (killed with {cut.get('running', 0)} running, "
            f"{cut.get('ok', 0)} done; {redelivered} re-delivered; all final {recovery:.1f} s after the kill"
            f"{'' if finished else ', NOT ALL FINISHED'}; completed twice: {len(twice)})"
            + (" - finished, then the worker died before recording it: jobs must be idempotent" if twice else ""),
            flush=True,
        )
        if not (finished and once == run.tenant_count and not twice):
            failed.append("jobs")
        kill_group(workers.pop())

        # --- runs: kill -9 of migrate_fleet mid-run, then a new run ------------------------------------------------
        (package / "0002_probe_note.py").write_text(ADD_FIELD)
        schema_template.code_migrations.cache_clear()
        slow = subprocess.Popen([sys.executable, "-c", SLOW_MIGRATE_FLEET, "0.3"], cwd=REPO, env=env,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
        deadline = time.monotonic() + 300
        while True:
            killed = FleetMigrationRun.objects.filter(status=RunStatus.RUNNING).first()
            if killed is not None and killed.records.filter(status="ok").count() >= max(1, n // 3):
                break
            if slow.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("the slowed fleet run ended before it could be killed")
            time.sleep(0.05)
        slow.kill()
        slow.wait(timeout=30)
        time.sleep(0.5)  # PostgreSQL ends the killed client's session (and its lock) as it notices the socket
        retry = run_fleet_migration(actor="drill", retry_failed=True)
        killed.refresh_from_db()
        left_open = FleetMigrationRun.objects.filter(status=RunStatus.RUNNING).count()
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(*) FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace s "
                "ON s.oid = c.relnamespace WHERE c.relname = 'benchfleet_probe' AND a.attname = 'note' "
                "AND NOT a.attisdropped AND s.nspname = ANY(%s)",
                [[t.schema_name for t in tenants]],
            )
            migrated = cursor.fetchone()[0]
        closed = killed.status == RunStatus.ABANDONED and killed.finished_at is not None
        print(
            f"runs closed: {int(closed)}/1 killed run closed as {killed.status} ({killed.summary}); "
            f"retry #{retry.pk} of #{retry.retry_of_id}: {retry.status}, {retry.summary}; "
            f"{migrated}/{n} schemas migrated; runs left running: {left_open}",
            flush=True,
        )
        if not (closed and left_open == 0 and retry.status == RunStatus.OK and migrated == n):
            failed.append("runs")

        # --- suspensions and archives (bench/_drill_registry.py) ----------------------------------------------------
        # Its web servers load this drill's settings module, which lives in the temporary directory.
        os.environ["PYTHONPATH"] = env["PYTHONPATH"]
        import _drill_registry

        for section in ("drill_suspensions", "drill_archives"):
            name = section.removeprefix("drill_")
            try:
                outcome = getattr(_drill_registry, section)(list(Tenant.objects.exclude(schema_name="public")))
            except Exception as exc:  # one section's breakage must not hide the others' results
                traceback.print_exc()
                print(f"{name}: FAILED ({type(exc).__name__}: {str(exc).strip().splitlines()[:1]})", flush=True)
                failed.append(name)
                continue
            print(outcome["line"], flush=True)
            if not outcome["ok"]:
                failed.append(name)
    finally:
        for worker in workers:
            kill_group(worker)
        try:
            import redis

            client = redis.Redis.from_url(os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0"))
            for key in client.scan_iter(f"{PREFIX}*"):
                client.delete(key)
        except Exception as exc:  # cleanup only
            print(f"(redis cleanup failed: {exc})")
        for log in LOG_DIR.glob(f"{PREFIX}-worker-*.log"):
            log.unlink()
        shutil.rmtree(tmp, ignore_errors=True)
        connection.close()
        drop_database(args.database)
    sections = ["jobs", "runs", "suspensions", "archives"]
    if failed:
        print(f"fault drill FAILED on {n} tenants: {', '.join(failed)} (passed: "
              f"{', '.join(s for s in sections if s not in failed) or 'none'})", flush=True)  # fmt: skip
        return 1
    print(f"fault drill passed on {n} tenants: {', '.join(sections)}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
