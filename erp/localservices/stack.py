"""Orchestration: `exec` (services around a command), `run-stack` (`make run`) and `stop`."""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from pathlib import Path

from erp.localservices.common import (
    BASE_DIR,
    PG_SYSTEM_USER,
    ServiceError,
    _die_with_parent,
    checkout_test_database,
    free_port,
    port_is_free,
    say,
)
from erp.localservices.postgres import EmbeddedPostgres
from erp.localservices.redis_server import EmbeddedRedis
from erp.localservices.state import remove_services_file, write_services_file


@contextlib.contextmanager
def local_services() -> Iterator[dict[str, str]]:
    """DATABASE_URL and REDIS_URL for the services to use, starting embedded ones for those unset; on exit stops
    what it started."""
    urls: dict[str, str] = {}
    with contextlib.ExitStack() as started:
        if os.environ.get("DATABASE_URL"):
            urls["DATABASE_URL"] = os.environ["DATABASE_URL"]
        else:
            postgres = EmbeddedPostgres()
            if postgres.as_root:
                say(
                    f"running as root: PostgreSQL refuses root, so it runs as system user {PG_SYSTEM_USER} with its "
                    f"data in {postgres.data_dir} (not in the repository)"
                )
            urls["DATABASE_URL"] = postgres.start()
            started.callback(postgres.stop)
            say(f"embedded PostgreSQL at {urls['DATABASE_URL']} (data: {postgres.data_dir})")
        if os.environ.get("REDIS_URL"):
            urls["REDIS_URL"] = os.environ["REDIS_URL"]
        else:
            redis_server = EmbeddedRedis()
            started.callback(redis_server.stop)
            urls["REDIS_URL"] = redis_server.start()
            say(f"embedded Redis at {urls['REDIS_URL']} ({redis_server.binary})")
        yield urls


def _raise_system_exit(signum: int, _frame: object) -> None:
    raise SystemExit(128 + signum)


def command_exec(argv: Sequence[str]) -> int:
    """Run argv with the services' URLs in its environment; returns its exit code."""
    if not argv:
        raise ServiceError("usage: python -m erp.localservices exec -- CMD [ARGS...]")
    if shutil.which(argv[0]) is None:  # say so before starting servers for nothing
        raise ServiceError(f"command not found: {argv[0]}")
    with local_services() as urls:
        env = {**os.environ, **urls}
        if not env.get("TEST_DATABASE_NAME"):  # this checkout's own test databases, even on a shared server
            env["TEST_DATABASE_NAME"] = checkout_test_database(urls["DATABASE_URL"])
        try:
            process = subprocess.Popen(list(argv), env=env, preexec_fn=_die_with_parent)
        except OSError as exc:
            raise ServiceError(f"cannot run {argv[0]}: {exc.strerror}") from None
        # The command shares our terminal's process group, so Ctrl-C reaches it directly: we only wait for it to
        # finish (and then stop the services). SIGTERM sent to us alone is passed on.
        signal.signal(signal.SIGINT, lambda *_: None)
        signal.signal(signal.SIGTERM, lambda signum, _frame: process.send_signal(signum))
        returncode = process.wait()
        signal.signal(signal.SIGINT, signal.default_int_handler)
        signal.signal(signal.SIGTERM, _raise_system_exit)
    return returncode if returncode >= 0 else 128 - returncode


class _Children:
    """Long-running children in their own process groups, so a terminal Ctrl-C reaches only this supervisor, which
    then stops them in order."""

    def __init__(self) -> None:
        self.processes: dict[str, subprocess.Popen[bytes]] = {}

    def start(self, name: str, argv: list[str], env: dict[str, str]) -> None:
        self.processes[name] = subprocess.Popen(
            argv, env=env, cwd=BASE_DIR, stdin=subprocess.DEVNULL, process_group=0, preexec_fn=_die_with_parent
        )

    def exited(self) -> tuple[str, int] | None:
        for name, process in self.processes.items():
            if process.poll() is not None:
                return name, process.returncode
        return None

    def stop_all(self, timeout: float = 15) -> None:
        for process in self.processes.values():
            if process.poll() is None:
                process.terminate()  # gunicorn: graceful stop; celery: warm shutdown
        deadline = time.monotonic() + timeout
        for process in self.processes.values():
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(max(0.1, deadline - time.monotonic()))
        for process in self.processes.values():
            # Whatever is left in the group (a stuck worker, a pool child) goes too.
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        self.processes.clear()


def _wait_for_port(port: int, children: _Children, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and children.exited() is None:
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=1):
            return
        time.sleep(0.2)


def _wait_for_worker(broker_url: str, children: _Children, timeout: float = 30) -> None:
    # The banner should come after the worker's start-up output, not be buried in it: wait until a worker answers.
    from celery import Celery

    probe = Celery("erp-localservices-probe", broker=broker_url)
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline and children.exited() is None:
            with contextlib.suppress(Exception):  # broker hiccups while starting up just mean "not yet"
                if probe.control.ping(timeout=0.5):
                    return
            time.sleep(0.2)
    finally:
        probe.close()


def local_secret_key(path: Path | None = None) -> str:
    """The local stack's SECRET_KEY: generated once and kept in the data directory (mode 0600), so sessions, tokens and
    links outlive a restart. `make clean-data` removes it with the rest."""
    path = path or BASE_DIR / ".data" / "secret_key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        staging = path.with_name(f".{path.name}.{os.getpid()}")
        descriptor = os.open(staging, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "w") as handle:
            handle.write(f"{secrets.token_urlsafe(50)}\n")
        with contextlib.suppress(FileExistsError):  # a concurrent start wrote one first: keep that one
            os.link(staging, path)
        staging.unlink()
    return path.read_text().strip()


def celery_worker_command(python: str = sys.executable) -> list[str]:
    """The worker `make run` starts. No -Q: it consumes erp.celery.consumed_queues(), the default queue and the fan-out
    queues of every plan, whatever CELERY_TASK_DEFAULT_QUEUE and FLEET_QUEUE_PREFIX say."""
    return [python, "-m", "celery", "-A", "erp", "worker", "-l", "info", "--concurrency", "2"]


def command_run_stack() -> int:
    """Migrate, seed the demo tenants, then serve with gunicorn and a Celery worker until interrupted."""
    port_text = os.environ.get("PORT", "8000")
    if not port_text.isdigit():
        raise ServiceError(f"PORT must be a number, not {port_text!r}")
    port = int(port_text)
    if not port_is_free(port, "0.0.0.0"):  # noqa: S104 - the web server binds all interfaces below
        raise ServiceError(f"port {port} is in use; stop what uses it or run with PORT=<another port>")
    python = sys.executable
    with local_services() as urls:
        env = {**os.environ, **urls, "PUBLIC_PORT": os.environ.get("PUBLIC_PORT", str(port))}
        # DEBUG stays off as in production, so the stack brings its own key and says it serves plain http.
        env["SECRET_KEY"] = os.environ.get("SECRET_KEY") or local_secret_key()
        env.setdefault("HTTPS_ONLY", "false")
        # Development: mail (password resets) is printed in this terminal unless EMAIL_URL says otherwise.
        env["EMAIL_URL"] = os.environ.get("EMAIL_URL") or "consolemail://"
        for step in (
            ["manage.py", "migrate_schemas", "--noinput"],
            ["manage.py", "sync_tenant_roles"],  # tenants kept in .data from before tenant roles existed
            ["manage.py", "collectstatic", "--noinput", "--verbosity", "0"],
            ["manage.py", "seed_demo", "--force"],  # a local stack: the published demo logins are wanted
        ):
            say(" ".join(step))
            result = subprocess.run([python, *step], env=env, cwd=BASE_DIR, check=False)
            if result.returncode != 0:
                raise ServiceError(f"`{' '.join(step)}` failed with exit code {result.returncode}")

        # With nginx on the machine, it faces the port and refuses API floods before gunicorn (tenants/edge.py);
        # gunicorn then listens on loopback only.
        nginx = _edge_nginx()
        app_address = f"127.0.0.1:{free_port()}" if nginx else f"0.0.0.0:{port}"
        if nginx:
            step = ["manage.py", "edge_config", "--listen", f"0.0.0.0:{port}", "--upstream", app_address]
            result = subprocess.run(
                [python, *step, "--dir", str(BASE_DIR / ".data" / "edge")],
                env=env,
                cwd=BASE_DIR,
                check=False,
                capture_output=True,
                text=True,
            )
            if result.returncode != 0:
                raise ServiceError(f"`{' '.join(step)}` failed: {result.stderr.strip()[-500:]}")
            edge_config = result.stdout.strip()
            say(f"edge: nginx on port {port} (config {edge_config}), gunicorn on {app_address}")
        else:
            say("edge: nginx not found, gunicorn faces the port itself (API floods are refused in Django)")

        # manage.py in another terminal finds these servers (use_running_services); removed when the stack stops.
        write_services_file(urls, public_port=int(env["PUBLIC_PORT"]))
        stopping: list[int] = []
        signal.signal(signal.SIGINT, lambda signum, _frame: stopping.append(signum))
        signal.signal(signal.SIGTERM, lambda signum, _frame: stopping.append(signum))
        children = _Children()
        try:
            children.start(
                "gunicorn",
                [
                    python,
                    "-m",
                    "gunicorn",
                    "erp.wsgi:application",
                    "-c",
                    "python:erp.gunicorn_conf",
                    "--bind",
                    app_address,
                    "--access-logfile",
                    "-",
                ],
                env,
            )
            if nginx:
                children.start("nginx", [nginx, "-c", edge_config, "-g", "daemon off;"], env)
            children.start("celery", celery_worker_command(python), env)
            _wait_for_port(port, children)
            _wait_for_worker(urls["REDIS_URL"], children)
            if children.exited() is None:
                _print_banner(port)
            while not stopping and (died := children.exited()) is None:
                time.sleep(0.3)
            if stopping:
                say("stopping gunicorn and the Celery worker")
                returncode = 0
            else:
                name, code = died
                how = f"was killed by signal {-code}" if code < 0 else f"exited with code {code}"
                say(f"{name} {how}; stopping everything")
                returncode = 1
        finally:
            children.stop_all()
            remove_services_file()
            # A second Ctrl-C while PostgreSQL stops would leave it half-way; one was enough.
            signal.signal(signal.SIGINT, signal.SIG_IGN)
            signal.signal(signal.SIGTERM, signal.SIG_IGN)
    say("stopped")
    return returncode


def nginx_binary() -> str | None:
    """Debian's nginx (the edge, tenants/edge.py), also where root's PATH lacks /usr/sbin."""
    return shutil.which("nginx") or next((p for p in ("/usr/sbin/nginx",) if os.access(p, os.X_OK)), None)


def _edge_nginx() -> str | None:
    """nginx for the edge, unless ERP_EDGE=off."""
    if os.environ.get("ERP_EDGE", "on").lower() in {"off", "0", "no", "false"}:
        return None
    return nginx_binary()


def _print_banner(port: int) -> None:
    from dashboard.management.commands.seed_demo import DEMO_TENANTS, OPS_LOGIN

    base = os.environ.get("BASE_DOMAIN", "localhost").lower()
    lines = ["", "ERP is running. Ctrl-C stops everything.", ""]
    for demo in DEMO_TENANTS:
        url = f"http://{demo.slug}.{base}:{port}/"
        lines.append(f"  {demo.name:<22} {url:<34} admin login: {demo.admin_username} / {demo.admin_password}")
    ops_url = f"http://{base}:{port}/admin/"
    lines.append(f"  {'Operations admin':<22} {ops_url:<34} login: {OPS_LOGIN[0]} / {OPS_LOGIN[1]}")
    print("\n".join([*lines, ""]), flush=True)


def command_stop() -> int:
    postgres = EmbeddedPostgres()
    if postgres.stop_leftover():
        say(f"stopped the embedded PostgreSQL of {postgres.data_dir}")
    else:
        say(f"no embedded PostgreSQL is running from {postgres.data_dir}")
    return 0
