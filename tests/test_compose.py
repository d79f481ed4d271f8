"""docker-compose.yml runs what `make run` runs: the nginx edge (tenants/edge.py) on the public port in front of
gunicorn, which only the compose network reaches, with the config `manage.py edge_config` writes.

Docker is not needed: the edge's config is rendered by the command with the arguments the compose files give it and
checked by Debian's nginx (`nginx -t`); the services are read with PyYAML (skipped without it). Without nginx the
`nginx -t` tests skip, except under CI (tests/conftest.py's `nginx` fixture).
"""

import re
import shlex
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest
from django.core.management import call_command

REPO = Path(__file__).resolve().parent.parent
COMPOSE = REPO / "docker-compose.yml"
COMPOSE_DEV = REPO / "docker-compose.dev.yml"
EDGE_PORT = "8000"


def edge_config_args(path: Path) -> list[list[str]]:
    """The distinct arguments of `manage.py edge_config` in a compose file (its commands and its comments)."""
    found = {tuple(shlex.split(args)) for args in re.findall(r"manage\.py edge_config ([^\"&\n]+)", path.read_text())}
    return [list(args) for args in sorted(found)]


def option(args: list[str], name: str) -> str:
    return args[args.index(name) + 1]


def compose_services(path: Path) -> dict:
    yaml = pytest.importorskip("yaml")
    return yaml.safe_load(path.read_text())["services"]


@pytest.fixture
def compose_edge_config(db, acme):
    """The edge config with docker-compose.yml's arguments, written to a temporary directory instead of the volume.

    The upstream's host becomes 127.0.0.1 (same port): `nginx -t` resolves it, and `web` is a name only on the compose
    network.
    """
    (args,) = edge_config_args(COMPOSE)
    upstream_port = option(args, "--upstream").rpartition(":")[2]
    run_dir = Path(tempfile.mkdtemp(prefix="erp-compose-edge-"))
    args[args.index("--dir") + 1] = str(run_dir)
    args[args.index("--upstream") + 1] = f"127.0.0.1:{upstream_port}"
    call_command("edge_config", *args)
    yield run_dir / "nginx.conf"
    shutil.rmtree(run_dir, ignore_errors=True)


def test_compose_writes_the_edge_config_with_the_same_arguments_with_and_without_the_dev_overlay():
    (production,) = edge_config_args(COMPOSE)
    (dev,) = edge_config_args(COMPOSE_DEV)
    assert production == dev
    assert option(production, "--listen") == f"0.0.0.0:{EDGE_PORT}"
    assert option(production, "--upstream") == f"web:{EDGE_PORT}"


def test_the_edge_config_compose_writes_passes_nginx_t(nginx, compose_edge_config, acme):
    config = compose_edge_config.read_text()
    assert f"listen 0.0.0.0:{EDGE_PORT};" in config
    assert f"{acme.domains.get().domain} {acme.plan};" in config
    result = subprocess.run([nginx, "-t", "-c", str(compose_edge_config)], capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr


def test_the_edge_config_behind_a_trusted_tls_proxy_passes_nginx_t(nginx, settings, db, acme):
    settings.EDGE_TRUSTED_PROXIES = ["10.0.0.5", "fd00::/64"]
    (args,) = edge_config_args(COMPOSE)
    run_dir = Path(tempfile.mkdtemp(prefix="erp-compose-edge-"))
    try:
        args[args.index("--dir") + 1] = str(run_dir)
        args[args.index("--upstream") + 1] = "127.0.0.1:8000"
        call_command("edge_config", *args)
        config = run_dir / "nginx.conf"
        assert "set_real_ip_from 10.0.0.5/32;" in config.read_text()
        result = subprocess.run([nginx, "-t", "-c", str(config)], capture_output=True, text=True, check=False)
        assert result.returncode == 0, result.stderr
    finally:
        shutil.rmtree(run_dir, ignore_errors=True)


def test_the_edge_publishes_the_port_and_web_does_not():
    services = compose_services(COMPOSE)
    assert services["edge"]["image"].startswith("nginx:")
    assert f"{EDGE_PORT}:{EDGE_PORT}" in services["edge"]["ports"]
    assert "ports" not in services["web"]
    assert "ports" not in compose_services(COMPOSE_DEV).get("web", {})


def test_the_edge_runs_the_config_setup_writes_into_their_shared_volume():
    services = compose_services(COMPOSE)
    (args,) = edge_config_args(COMPOSE)
    edge_dir = option(args, "--dir")
    assert "edge_config" in services["setup"]["command"]
    assert f"edge:{edge_dir}" in services["setup"]["volumes"]
    assert f"edge:{edge_dir}" in services["edge"]["volumes"]
    assert option(services["edge"]["command"], "-c") == f"{edge_dir}/nginx.conf"


def test_web_worker_and_edge_start_after_setup_has_finished():
    services = compose_services(COMPOSE)
    for name in ("web", "worker", "edge"):
        assert services[name]["depends_on"]["setup"] == {"condition": "service_completed_successfully"}
    assert services["setup"]["restart"] == "no"


def test_gunicorn_trusts_the_compose_network_the_edge_is_on():
    compose = COMPOSE.read_text()
    (subnet,) = set(re.findall(r"subnet: (\$\{ERP_SUBNET:-[^}]+\})", compose))
    assert compose_services(COMPOSE)["web"]["environment"]["TRUSTED_PROXIES"] == subnet


def test_the_dev_overlay_seeds_the_demo_tenants_before_it_writes_the_edge_config():
    command = compose_services(COMPOSE_DEV)["setup"]["command"]
    assert command.index("seed_demo --force") < command.index("edge_config")  # their hosts get their plans' limits
