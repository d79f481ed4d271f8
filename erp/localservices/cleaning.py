"""`make clean-data`: this checkout's embedded data, .data/ and test databases, nobody else's."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from erp.localservices.common import BASE_DIR, checkout_test_database, say
from erp.localservices.postgres import EmbeddedPostgres, _last_line_of


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
    """Drop this checkout's test databases (checkout_test_database, its `_gw<n>` copies and the `_tpl<digest>` base
    they are copied from, tests/support.py) on the server of
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
        prefix = name.replace("_", r"\_")
        rows = conn.execute(
            "SELECT datname FROM pg_database WHERE datname = %s OR datname LIKE %s OR datname LIKE %s ORDER BY datname",
            [name, prefix + r"\_gw%", prefix + r"\_tpl%"],
        ).fetchall()
        for (datname,) in rows:
            try:
                conn.execute(sql.SQL("DROP DATABASE {}").format(sql.Identifier(datname)))
            except psycopg.Error as exc:
                say(f"could not drop {datname}: {_last_line_of(str(exc))}")
            else:
                dropped.append(datname)
    return dropped
