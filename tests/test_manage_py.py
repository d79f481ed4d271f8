"""manage.py without DATABASE_URL: it uses the servers `make run` started in this checkout (the state file
erp.localservices writes), or refuses in one line; never settings' fallback 127.0.0.1:5432/erp."""

import json
import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from django.conf import settings

from erp.localservices import free_port
from tenants.models import Tenant
from tenants.services import tenant_delete
from tests.fleet.fleet_support import committed_db

db = committed_db
REPO = Path(__file__).resolve().parents[1]


def _test_database_url() -> str:
    db = settings.DATABASES["default"]
    return f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"


def _manage(*args: str, state_file: Path) -> subprocess.CompletedProcess[str]:
    env = {key: value for key, value in os.environ.items() if key not in {"DATABASE_URL", "PUBLIC_PORT"}}
    env["ERP_SERVICES_FILE"] = str(state_file)
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=REPO, env=env, capture_output=True, text=True, timeout=120
    )


def _write_state(path: Path, *, pid: int, port: int) -> None:
    state = {"DATABASE_URL": _test_database_url(), "REDIS_URL": settings.REDIS_URL, "PUBLIC_PORT": str(port)}
    path.write_text(json.dumps({**state, "pid": pid}))


def test_create_tenant_uses_the_running_make_run_servers_and_prints_its_port(db, tmp_path):
    state, port, slug = tmp_path / "services.json", free_port(), f"mp-{uuid.uuid4().hex[:6]}"
    _write_state(state, pid=os.getpid(), port=port)
    args = ["create_tenant", slug, "--name", "V", "--admin-email", "a@mp.test", "--admin-password", "pw-123456"]
    result = _manage(*args, state_file=state)
    try:
        assert result.returncode == 0, result.stderr
        assert f"http://{slug}.{settings.BASE_DOMAIN}:{port}/" in result.stdout
        assert Tenant.objects.filter(slug=slug).exists()  # in the test database the state file names
    finally:
        for tenant in Tenant.objects.filter(slug=slug):
            tenant_delete(tenant=tenant)


def test_without_database_url_or_make_run_manage_py_refuses_in_one_line(tmp_path):
    result = _manage("migrate_schemas", state_file=tmp_path / "absent.json")
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "DATABASE_URL is not set and no `make run` is running" in lines[0]


def test_a_state_file_left_by_a_stopped_make_run_is_ignored(tmp_path):
    finished = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    state = tmp_path / "services.json"
    _write_state(state, pid=int(finished.stdout), port=8000)
    result = _manage("migrate_schemas", state_file=state)
    assert result.returncode == 1
    assert "no `make run` is running" in result.stderr


@pytest.mark.parametrize("command", ["help", "check"])
def test_commands_that_need_no_database_still_run_without_one(tmp_path, command):
    result = _manage(command, state_file=tmp_path / "absent.json")
    assert result.returncode == 0, result.stderr
