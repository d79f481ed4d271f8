"""With no cell configured nothing changes: no `control` alias, no router decision, no connection swapped."""

import subprocess
import sys

import pytest
from django.conf import settings
from django.db import connections
from django.test import Client

from cells.routers import ControlPlaneRouter
from tenants.models import Domain, SpareSchema, Tenant
from tests.conftest import host_of
from tests.support import REPO, subprocess_env

pytestmark = pytest.mark.django_db


def test_without_cells_in_the_environment_there_is_no_control_alias():
    assert list(settings.DATABASES) == ["default"]


def test_cells_in_the_environment_add_the_control_alias_on_the_control_plane_database():
    code = (
        "from django.conf import settings as s; d = s.DATABASES; "
        "print(sorted(d), d['control']['NAME'] == d['default']['NAME'])"
    )
    env = subprocess_env(CELLS="east=postgres://db-east/erp", DJANGO_SETTINGS_MODULE="erp.settings_test")
    out = subprocess.run(
        [sys.executable, "-c", f"import django; django.setup(); {code}"],
        cwd=REPO, env=env, capture_output=True, text=True, check=True,
    )  # fmt: skip
    assert out.stdout.strip() == "['control', 'default'] True"


def test_the_router_says_nothing_while_default_is_the_control_plane():
    router = ControlPlaneRouter()
    assert [router.db_for_read(model) for model in (Tenant, Domain, SpareSchema)] == [None, None, None]


def test_a_request_for_a_tenant_on_the_default_cell_keeps_the_threads_own_connection(acme):
    before = connections["default"]
    assert Client(HTTP_HOST=host_of(acme)).get("/accounts/login/").status_code == 200
    assert connections["default"] is before
