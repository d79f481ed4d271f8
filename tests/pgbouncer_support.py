"""Debian's pgbouncer, started by a test on loopback in transaction pooling with ONE server connection, so every client
connection shares it and any tenant context left on it would show.

Without pgbouncer installed a test skips, except under CI (CI set), where it fails: `.ci/run` installs it.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from erp.localservices import free_port
from tests.support import required_tool


def pgbouncer_binary() -> str:
    """The pgbouncer executable; skips the test without one (fails it under CI)."""
    binary = shutil.which("pgbouncer") or ("/usr/sbin/pgbouncer" if Path("/usr/sbin/pgbouncer").exists() else None)
    return required_tool(binary, "pgbouncer is not installed (Debian package pgbouncer)")


@contextlib.contextmanager
def pgbouncer(*, host: str, port: int | str, user: str, password: str = "") -> Iterator[int]:
    """Run pgbouncer in front of the PostgreSQL server at host:port (every database, as `user`) in transaction
    pooling with a pool of one server connection; yields the port it listens on, stops it after the block."""
    binary = pgbouncer_binary()
    # As root, pgbouncer runs as an unprivileged user (-u): its files live where that user can reach them.
    workdir = Path(tempfile.mkdtemp(prefix="erp-pgbouncer-"))
    workdir.chmod(0o777)
    listen = free_port()
    (workdir / "users.txt").write_text(f'"{user}" "{password}"\n')
    (workdir / "pgbouncer.ini").write_text(
        "[databases]\n"
        f"* = host={host} port={port}\n"
        "[pgbouncer]\n"
        f"listen_addr = 127.0.0.1\nlisten_port = {listen}\nunix_socket_dir =\n"
        f"auth_type = {'plain' if password else 'trust'}\nauth_file = {workdir / 'users.txt'}\n"
        "pool_mode = transaction\ndefault_pool_size = 1\nmin_pool_size = 0\nmax_client_conn = 20\n"
        "server_reset_query =\nignore_startup_parameters = extra_float_digits,options\n"
        f"logfile = {workdir / 'pgbouncer.log'}\npidfile = {workdir / 'pgbouncer.pid'}\n"
    )
    for name in ("users.txt", "pgbouncer.ini"):
        (workdir / name).chmod(0o644)
    command = [binary, str(workdir / "pgbouncer.ini")]
    if os.geteuid() == 0:
        command[1:1] = ["-u", "nobody"]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 10
        while True:
            try:
                socket.create_connection(("127.0.0.1", listen), timeout=0.2).close()
                break
            except OSError:
                if process.poll() is not None:
                    pytest.fail(f"pgbouncer exited: {process.stderr.read().decode()[-500:]}", pytrace=False)
                if time.monotonic() > deadline:
                    pytest.fail("pgbouncer did not listen within 10 s", pytrace=False)
                time.sleep(0.05)
        yield listen
    finally:
        process.terminate()
        process.wait(timeout=10)
        shutil.rmtree(workdir, ignore_errors=True)
