"""`python -m erp.localservices …`: the command line (see the package docstring)."""

from __future__ import annotations

import argparse
import signal
from collections.abc import Sequence

from erp import localservices
from erp.localservices.cleaning import command_clean
from erp.localservices.common import BASE_DIR, ServiceError, say
from erp.localservices.stack import _raise_system_exit, command_exec, command_run_stack, command_stop


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m erp.localservices", description=localservices.__doc__.split("\n\n")[0]
    )
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
