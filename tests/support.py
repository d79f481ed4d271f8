"""Helpers for tests: committed data other connections (threads, a Celery worker) must see; the test database."""

import contextlib
import hashlib
import os
import re
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path

from django.conf import settings
from django.db import connection
from django_tenants.utils import tenant_context

from erp.localservices.common import file_lock

REPO = Path(__file__).resolve().parents[1]


def required_tool(binary: str | None, reason: str) -> str:
    """`binary` when the machine has it; otherwise the test skips, except under CI (CI set), where it fails:
    `.ci/run` installs every tool the tests use."""
    if binary is None:
        import pytest

        if os.environ.get("CI"):
            pytest.fail(f"CI is set but {reason}", pytrace=False)
        pytest.skip(reason)
    return binary


def committed(fn):
    """Run fn in a thread of its own, on a connection of its own: what it writes is committed when it returns."""
    results, errors = [], []

    def target() -> None:
        try:
            results.append(fn())
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    thread = threading.Thread(target=target)
    thread.start()
    thread.join()
    if errors:
        raise errors[0]
    return results[0]


def in_tenant(tenant, fn):
    def run():
        with tenant_context(tenant):
            return fn()

    return committed(run)


# --- the test database: cloned from a base built once per code version -------------------------------------------


def _base_fingerprint() -> str:
    """A digest of what the base database is made of: every migration and SQL file of the apps, the settings and the
    template code. Editing one in place (not only adding one) builds a new base."""
    apps = [p for p in REPO.iterdir() if p.is_dir() and not p.name.startswith(".") and p.name not in {"tests", "bench"}]
    files = {path for app in apps for path in [*app.glob("migrations/*.py"), *app.rglob("*.sql")]}
    files |= {REPO / "erp" / "settings.py", REPO / "erp" / "settings_test.py", REPO / "tenants" / "schema_template.py"}
    digest = hashlib.sha256()
    for path in sorted(files):
        if path.is_file():
            digest.update(str(path.relative_to(REPO)).encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()[:8]


def _databases_like(cursor, pattern: str) -> list[str]:
    cursor.execute("SELECT datname FROM pg_database WHERE datname LIKE %s ORDER BY datname", [pattern])
    return [name for (name,) in cursor.fetchall()]


def create_test_database() -> str:
    """Create this session's test database (pytest-xdist: one per worker) as a copy of a base database that holds the
    migrated public schema and a fresh provisioning template, and switch the connection to it; returns its name.

    Migrating and building the template cost several seconds per database, so the base is built once (the first
    worker to need it, under a file lock; the others wait and copy it) and kept between runs, keyed by
    `_base_fingerprint()`; `CREATE DATABASE … TEMPLATE` copies it in a fraction of a second. Bases of other code
    versions are dropped when a new one is built. Tenants are not in the base: their roles are named by database.
    """
    from tenants.schema_template import ensure_fresh_template

    creation = connection.creation
    settings_dict = connection.settings_dict
    name = creation._get_test_db_name()
    root = re.sub(r"_gw\d+$", "", name)
    base = f"{root}_tpl{_base_fingerprint()}"
    with file_lock(Path(tempfile.gettempdir()) / f"{base}.lock"):
        with creation._nodb_cursor() as cursor:
            cursor.execute("SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = %s", [base])
            row = cursor.fetchone()
            complete = row is not None and row[0] == "complete"
            if not complete:
                for stale in _databases_like(cursor, root.replace("_", r"\_") + r"\_tpl%"):
                    with contextlib.suppress(Exception):
                        cursor.execute(f'DROP DATABASE "{stale}"')
        if not complete:
            saved = settings_dict["TEST"].get("NAME")
            settings_dict["TEST"]["NAME"] = base
            try:
                creation.create_test_db(verbosity=0, autoclobber=True)
                ensure_fresh_template()
                connection.set_schema_to_public()
            finally:
                settings_dict["TEST"]["NAME"] = saved
                connection.close()
            with creation._nodb_cursor() as cursor:
                cursor.execute(f"COMMENT ON DATABASE \"{base}\" IS 'complete'")
        with creation._nodb_cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{name}"')
            cursor.execute(f'CREATE DATABASE "{name}" TEMPLATE "{base}"')
    connection.close()
    settings.DATABASES[connection.alias]["NAME"] = name
    settings_dict["NAME"] = name
    return name


# --- Celery workers --------------------------------------------------------------------------------------------------


def subprocess_env(**extra: str) -> dict[str, str]:
    """The environment of a child process (manage.py, a Celery worker) working on this test database and Redis."""
    db = settings.DATABASES["default"]
    return {
        **os.environ,
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
        "REDIS_URL": settings.REDIS_URL,
        "CACHE_KEY_PREFIX": settings.CACHES["default"]["KEY_PREFIX"],
        **extra,
    }


def start_celery_worker(
    queues: list[str] | None,
    log: Path,
    *,
    env: dict[str, str] | None = None,
    concurrency: int = 2,
    command: list[str] | None = None,
    name: str | None = None,
) -> subprocess.Popen:
    """A real Celery worker (threads pool) on the test database, consuming `queues`, started and ready.

    It runs in a process group of its own (stop_celery_worker kills the whole of it, as a test killing a worker
    mid-job does), writes everything to `log` (read when it fails to start; a pipe nobody reads would block it) and
    imports tests.fleet_jobs, the test-only fan-out jobs. `command` replaces the worker command (make run's, say);
    `queues=None` leaves the queues to it."""
    command = command or [
        sys.executable,
        "-m",
        "celery",
        "-A",
        "erp",
        "worker",
        "-P",
        "threads",
        "-c",
        str(concurrency),
    ]
    command = [*command, "--include", "tests.fleet_jobs", "--without-gossip", "--without-mingle", "--without-heartbeat"]
    command += ["-l", "info", "-n", name or f"test-{os.getpid()}-{time.monotonic_ns()}@%h"]
    if queues is not None:
        command += ["-Q", ",".join(queues)]
    with open(log, "wb") as out:
        worker = subprocess.Popen(
            command, cwd=REPO, env=env or subprocess_env(), stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
    deadline = time.monotonic() + 90
    while b"ready." not in log.read_bytes():
        if worker.poll() is not None or time.monotonic() > deadline:
            stop_celery_worker(worker)
            raise AssertionError(f"the Celery worker did not start:\n{log.read_text()[-3000:]}")
        time.sleep(0.2)
    return worker


def stop_celery_worker(worker: subprocess.Popen) -> None:
    """kill -9 of the worker and every child of its process group."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(worker.pid, signal.SIGKILL)
    worker.wait(timeout=30)


@contextlib.contextmanager
def celery_worker(queues: list[str], log: Path, **options) -> Iterator[subprocess.Popen]:
    """start_celery_worker for the length of a `with` block (a module-scoped fixture's)."""
    worker = start_celery_worker(queues, log, **options)
    try:
        yield worker
    finally:
        stop_celery_worker(worker)
