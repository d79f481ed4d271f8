"""The fleet registry and records live in the public schema; on a tenant host the admin shows none of them."""

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.test import Client
from django_tenants.utils import tenant_context

from tests.conftest import host_of

FLEET_PAGES = [
    "tenants/tenant",
    "tenants/schematemplate",
    "fleet/fleetmigrationrun",
    "fleet/tenantauditevent",
    "fleet/tenantreportrow",
    "support/supportgrant",
]


@pytest.fixture
def acme_root(acme) -> Client:
    client = Client(HTTP_HOST=host_of(acme))
    with tenant_context(acme):
        client.force_login(get_user_model().objects.create_superuser("acme-root", "r@acme.test", "root-pass-1"))
    return client


@pytest.mark.parametrize("model", FLEET_PAGES)
def test_a_tenant_superuser_cannot_see_fleet_records(acme_root, model):
    assert acme_root.get(f"/admin/{model}/").status_code == 403


def test_a_tenant_superuser_cannot_change_another_tenant(acme_root, globex):
    response = acme_root.post(f"/admin/tenants/tenant/{globex.pk}/change/", {"status": "suspended", "plan": "free"})
    assert response.status_code == 403
    globex.refresh_from_db()
    assert globex.status == "active"


def test_the_tenant_admin_index_does_not_list_the_fleet(acme_root):
    page = acme_root.get("/admin/").content.decode()
    for app in ("tenants", "fleet", "support"):
        assert f"/admin/{app}/" not in page


def test_operations_staff_still_see_the_fleet(db):
    ops = get_user_model().objects.create_superuser("ops-fleet", "ops@example.test", "ops-pass-1")
    client = Client(HTTP_HOST=settings.BASE_DOMAIN)
    client.force_login(ops)
    for model in FLEET_PAGES:
        assert client.get(f"/admin/{model}/").status_code == 200
