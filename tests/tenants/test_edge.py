"""The edge (tenants/edge.py): nginx in front of gunicorn refuses a credential's API flood at its plan's rate.

The nginx tests start Debian's nginx themselves in front of a stand-in upstream that answers 200 to everything, so
every 429 seen comes from the edge. Without nginx they skip, except under CI (CI set), where they fail: `.ci/run`
installs it.
"""

import http.client
import json
import shutil
import subprocess
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from erp.localservices import free_port
from tenants import edge
from tenants.models import Tenant
from tests.conftest import host_of

TIGHT_RATES = {"free": "2/min", "standard": "3/min", "premium": "4/min"}


def test_a_plan_quota_becomes_nginx_rate_and_burst():
    assert edge.edge_rate("1000/min burst 20") == edge.EdgeRate(rate="1000r/m", burst=20, interval=0.06)
    assert edge.edge_rate("20/s") == edge.EdgeRate(rate="20r/s", burst=20, interval=0.05)
    assert edge.edge_rate("100/hour burst 5").rate == "2r/m"  # nginx counts per minute at least: rounded up


def test_each_active_tenant_host_maps_to_its_plan_and_a_suspended_one_to_none(acme, globex):
    Tenant.objects.filter(pk=globex.pk).update(status=Tenant.Status.SUSPENDED)
    hosts = edge.hosts_by_plan()
    assert host_of(acme) in hosts[acme.plan]
    assert all(host_of(globex) not in plan_hosts for plan_hosts in hosts.values())


def test_a_host_that_is_not_a_plain_domain_name_is_left_out_of_the_config(tmp_path, settings):
    settings.TENANT_API_RATES = TIGHT_RATES
    config = edge.nginx_config(
        listen="127.0.0.1:1",
        upstream="127.0.0.1:2",
        run_dir=tmp_path,
        hosts={"free": ["ok.example.test", "evil.test; include /etc/passwd"]},
    )
    assert "ok.example.test free;" in config
    assert "evil" not in config


def test_edge_config_refuses_an_address_without_a_port_in_one_line(tmp_path):
    with pytest.raises(CommandError, match="--upstream must be host:port"):
        call_command("edge_config", "--upstream", "localhost", "--dir", str(tmp_path))
    assert not (tmp_path / "nginx.conf").exists()


# --- nginx in front of a stand-in upstream -------------------------------------------------------------------------


class _Always200(BaseHTTPRequestHandler):
    def answer(self) -> dict:
        return {"upstream": True}

    def do_GET(self) -> None:
        body = json.dumps(self.answer()).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args) -> None:
        pass


def _wait_for(port: int) -> None:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            http.client.HTTPConnection("127.0.0.1", port, timeout=1).connect()
            return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"nothing answers on port {port}")


@pytest.fixture
def edge_port(nginx, db, settings, acme, globex):
    """nginx with the edge config (acme free, globex premium, 2 and 4 a minute) in front of an always-200 upstream."""
    settings.TENANT_API_RATES = TIGHT_RATES
    upstream = ThreadingHTTPServer(("127.0.0.1", 0), _Always200)
    threading.Thread(target=upstream.serve_forever, daemon=True).start()
    port = free_port()
    # Not pytest's tmp_path: its parents are private to root, and nginx's workers run as nobody.
    run_dir = Path(tempfile.mkdtemp(prefix="erp-edge-"))
    config = edge.write_config(
        listen=f"127.0.0.1:{port}",
        upstream=f"127.0.0.1:{upstream.server_address[1]}",
        run_dir=run_dir,
        hosts={"free": [host_of(acme)], "premium": [host_of(globex)]},
    )
    # A file, not a pipe nobody reads; nginx's own errors go to error.log beside it.
    with open(run_dir / "stderr.log", "wb") as stderr:
        server = subprocess.Popen([nginx, "-c", str(config), "-g", "daemon off;"], stderr=stderr)
    try:
        _wait_for(port)
        yield port
    finally:
        server.terminate()
        server.wait(timeout=10)
        upstream.shutdown()
        upstream.server_close()
        shutil.rmtree(run_dir, ignore_errors=True)


def _get(port: int, host: str, path: str = "/api/v1/items/", credential: str | None = None):
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    headers = {"Host": host, **({"Authorization": credential} if credential else {})}
    connection.request("GET", path, headers=headers)
    response = connection.getresponse()
    body = response.read()
    connection.close()
    return response, body


def test_past_its_plan_burst_a_credential_is_refused_at_the_edge_with_retry_after(edge_port, acme):
    statuses = [_get(edge_port, host_of(acme), credential="Api-Key flood")[0].status for _ in range(3)]
    assert statuses == [200, 200, 429]
    response, body = _get(edge_port, host_of(acme), credential="Api-Key flood")
    assert response.status == 429
    assert int(response.getheader("Retry-After")) >= 1
    assert b"throttled" in body


def test_another_credential_of_the_same_tenant_is_not_refused_at_the_edge(edge_port, acme):
    for _ in range(3):
        _get(edge_port, host_of(acme), credential="Api-Key flood")
    assert _get(edge_port, host_of(acme), credential="Bearer someone-else")[0].status == 200


def test_the_same_credential_on_another_tenant_host_has_that_tenant_plan_budget(edge_port, acme, globex):
    for _ in range(3):
        _get(edge_port, host_of(acme), credential="Api-Key same")
    statuses = [_get(edge_port, host_of(globex), credential="Api-Key same")[0].status for _ in range(5)]
    assert statuses == [200] * 4 + [429]  # premium: 4 a minute here


def test_pages_and_unknown_hosts_are_not_limited_at_the_edge(edge_port, acme):
    assert [_get(edge_port, host_of(acme), path="/inventory/")[0].status for _ in range(4)] == [200] * 4
    assert [_get(edge_port, "nobody.example.test")[0].status for _ in range(4)] == [200] * 4


def _post(port: int, host: str, path: str):
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    connection.request("POST", path, body="username=x&password=y", headers={"Host": host})
    response = connection.getresponse()
    body = response.read()
    connection.close()
    return response, body


def test_made_up_credentials_from_one_address_are_refused_at_the_edge_past_twice_the_plan(edge_port, acme):
    """A new junk credential every request walks past the per-credential limit, not past the per-address one."""
    statuses = [_get(edge_port, host_of(acme), credential=f"Api-Key junk-{i}")[0].status for i in range(6)]
    assert statuses == [200] * 4 + [429] * 2  # free: 2 a minute here, twice that per address


@pytest.fixture
def tight_signin(settings):
    settings.EDGE_SIGNIN_RATE = "1r/m"
    settings.EDGE_SIGNIN_BURST = 2


@pytest.mark.parametrize("path", ["/accounts/login/", "/admin/login/", "/api/v1/auth/token/"])
def test_sign_in_posts_from_one_address_are_refused_at_the_edge_past_their_burst(tight_signin, edge_port, acme, path):
    statuses = [_post(edge_port, host_of(acme), path)[0].status for _ in range(4)]
    assert statuses[-1] == 429
    response, _body = _post(edge_port, host_of(acme), path)
    assert response.status == 429 and int(response.getheader("Retry-After")) >= 1


def test_sign_in_pages_are_not_limited_at_the_edge(tight_signin, edge_port, acme):
    assert [_get(edge_port, host_of(acme), path="/accounts/login/")[0].status for _ in range(5)] == [200] * 5


# --- the scheme and client gunicorn is told, with and without a TLS proxy in front (EDGE_TRUSTED_PROXIES) -----------


class _EchoForwarded(_Always200):
    def answer(self) -> dict:
        return {name: self.headers.get(name) for name in ("X-Forwarded-Proto", "X-Forwarded-For")}


@pytest.fixture
def forwarded_through_edge(nginx, settings):
    """The X-Forwarded-* headers an upstream receives for a GET sent through the edge with `headers`, the edge written
    with `trusted_proxies` as EDGE_TRUSTED_PROXIES.
    """
    upstream = ThreadingHTTPServer(("127.0.0.1", 0), _EchoForwarded)
    threading.Thread(target=upstream.serve_forever, daemon=True).start()
    run_dir = Path(tempfile.mkdtemp(prefix="erp-edge-"))

    def forwarded(headers: dict[str, str], *, trusted_proxies: list[str]) -> dict[str, str]:
        settings.EDGE_TRUSTED_PROXIES = trusted_proxies
        port = free_port()
        upstream_address = f"127.0.0.1:{upstream.server_address[1]}"
        config = edge.write_config(listen=f"127.0.0.1:{port}", upstream=upstream_address, run_dir=run_dir, hosts={})
        with open(run_dir / "stderr.log", "wb") as stderr:
            server = subprocess.Popen([nginx, "-c", str(config), "-g", "daemon off;"], stderr=stderr)
        try:
            _wait_for(port)
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            connection.request("GET", "/", headers={"Host": "acme.example.test", **headers})
            body = connection.getresponse().read()
            connection.close()
        finally:
            server.terminate()
            server.wait(timeout=10)
        return json.loads(body)

    try:
        yield forwarded
    finally:
        upstream.shutdown()
        upstream.server_close()
        shutil.rmtree(run_dir, ignore_errors=True)


CLIENT_SAYS = {"X-Forwarded-Proto": "https", "X-Forwarded-For": "203.0.113.9"}


def test_without_a_trusted_proxy_the_edge_tells_gunicorn_its_own_scheme_not_the_client_header(forwarded_through_edge):
    seen = forwarded_through_edge(CLIENT_SAYS, trusted_proxies=[])
    assert seen["X-Forwarded-Proto"] == "http"
    assert seen["X-Forwarded-For"].endswith("127.0.0.1")  # the address it saw, last


def test_behind_a_trusted_proxy_the_edge_passes_on_its_scheme_and_client(forwarded_through_edge):
    seen = forwarded_through_edge(CLIENT_SAYS, trusted_proxies=["127.0.0.1"])
    assert seen["X-Forwarded-Proto"] == "https"
    assert seen["X-Forwarded-For"].endswith("203.0.113.9")  # the client the proxy named, not the proxy


def test_a_malformed_trusted_proxy_address_is_refused_when_the_config_is_written(settings, tmp_path):
    settings.EDGE_TRUSTED_PROXIES = ["10.0.0.300"]
    with pytest.raises(ValueError, match=r"10\.0\.0\.300"):
        edge.nginx_config(listen="127.0.0.1:1", upstream="127.0.0.1:2", run_dir=tmp_path, hosts={})
