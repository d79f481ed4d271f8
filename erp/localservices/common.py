"""Paths, names and small process helpers shared by the local services (see erp.localservices)."""

from __future__ import annotations

import contextlib
import ctypes
import fcntl
import hashlib
import os
import re
import signal
import socket
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path
from urllib.parse import urlsplit

BASE_DIR = Path(__file__).resolve().parents[2]
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
def file_lock(path: Path) -> Iterator[None]:
    with open(path, "a+") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
