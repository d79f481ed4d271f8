"""The state file of a running `make run`, which manage.py reads to reach the same servers."""

from __future__ import annotations

import contextlib
import json
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from erp.localservices.common import BASE_DIR, _pid_alive

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
