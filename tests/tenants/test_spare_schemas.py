import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import connection
from django.test import Client
from django_tenants.utils import schema_exists, tenant_context

from tenants import schema_template
from tenants.models import SpareSchema, Tenant
from tenants.services import tenant_create
from tests.tenants.test_provisioning import schema_shape


@pytest.fixture(autouse=True)
def _empty_spare_pool(db):
    """Other tests (fleet runs) may leave committed spares; these tests start from none, inside their transaction."""
    with connection.cursor() as cursor:
        for spare in SpareSchema.objects.all():
            cursor.execute(f'DROP SCHEMA IF EXISTS "{spare.schema_name}" CASCADE')
    SpareSchema.objects.all().delete()


def test_refill_builds_spares_identical_to_the_template(db):
    assert schema_template.refill_spare_schemas(target=2) == 2
    spares = list(SpareSchema.objects.values_list("schema_name", flat=True))
    assert len(spares) == 2
    for spare in spares:
        assert schema_shape(spare) == schema_shape(settings.TENANT_TEMPLATE_SCHEMA)


def test_provisioning_claims_a_spare_schema_by_renaming_it(db):
    schema_template.refill_spare_schemas(target=1)
    spare = SpareSchema.objects.get().schema_name
    provisioned = tenant_create(slug="renamed", name="Renamed", admin_email="a@renamed.test")
    assert provisioned.from_spare_schema
    assert not schema_exists(spare)
    assert not SpareSchema.objects.exists()
    assert schema_shape("renamed") == schema_shape(settings.TENANT_TEMPLATE_SCHEMA)


def test_spare_of_an_older_template_is_never_claimed(db):
    schema_template.refill_spare_schemas(target=1)
    SpareSchema.objects.update(fingerprint="0" * 64)
    provisioned = tenant_create(slug="no-stale", name="X", admin_email="a@x.test")
    assert not provisioned.from_spare_schema
    assert SpareSchema.objects.count() == 1


def test_refill_drops_spares_of_an_older_template(db):
    schema_template.refill_spare_schemas(target=1)
    old = SpareSchema.objects.get()
    SpareSchema.objects.update(fingerprint="0" * 64)
    schema_template.refill_spare_schemas(target=1)
    assert not schema_exists(old.schema_name)
    assert SpareSchema.objects.get().schema_name != old.schema_name


def test_spare_whose_migrations_differ_from_the_code_is_dropped_not_claimed(db):
    schema_template.refill_spare_schemas(target=1)
    spare = SpareSchema.objects.get().schema_name
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM \"{spare}\".django_migrations WHERE app = 'sessions'")
    provisioned = tenant_create(slug="tamper-check", name="X", admin_email="a@x.test")
    assert not provisioned.from_spare_schema
    assert not schema_exists(spare)
    assert schema_shape("tamper_check")["migrations"] == schema_template.code_migrations()


def test_failed_provisioning_gives_the_claimed_spare_back(db, monkeypatch):
    schema_template.refill_spare_schemas(target=1)
    spare = SpareSchema.objects.get().schema_name

    def explode(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(get_user_model().objects, "create_superuser", explode)
    with pytest.raises(RuntimeError):
        tenant_create(slug="gives-back", name="X", admin_email="a@x.test")
    assert schema_exists(spare)
    assert SpareSchema.objects.filter(schema_name=spare).exists()
    assert not schema_exists("gives_back")


def test_admin_without_a_password_gets_a_working_one_time_set_password_link(db):
    provisioned = tenant_create(slug="invited", name="Invited", admin_email="ann@invited.test")
    assert provisioned.admin_password is None
    client = Client(HTTP_HOST=f"invited.{settings.BASE_DOMAIN}")
    form_page = client.get(provisioned.set_password_url, follow=True)
    assert form_page.status_code == 200
    set_url = form_page.redirect_chain[-1][0]
    done = client.post(set_url, {"new_password1": "Fresh-Secret-42", "new_password2": "Fresh-Secret-42"})
    assert done.status_code == 302
    with tenant_context(Tenant.objects.get(slug="invited")):
        assert get_user_model().objects.get(username="ann").check_password("Fresh-Secret-42")


def test_set_password_link_of_one_tenant_is_invalid_on_another_tenants_host(db, acme):
    provisioned = tenant_create(slug="linkowner", name="Owner", admin_email="ann@owner.test")
    path = provisioned.set_password_url.split(f"{settings.BASE_DOMAIN}", 1)[1]
    response = Client(HTTP_HOST=f"acme.{settings.BASE_DOMAIN}").get(path, follow=True)
    assert b"new_password1" not in response.content
