import pytest

from tests.inventory.factories import ItemFactory, LocationFactory, UnitFactory, UserFactory


@pytest.fixture
def clerk(in_acme):
    return UserFactory(username="clerk")


@pytest.fixture
def bolt(in_acme):
    return ItemFactory(sku="BOLT-10", name="Bolt M10")


@pytest.fixture
def oil(in_acme):
    """An item counted in litres, to three decimal places."""
    return ItemFactory(sku="OIL-1", name="Cutting oil", uom=UnitFactory(code="l"))


@pytest.fixture
def a1(in_acme):
    return LocationFactory(code="A1", name="Aisle 1")


@pytest.fixture
def b2(in_acme):
    return LocationFactory(code="B2", name="Aisle 2")


def logged_in(client, tenant, username: str = "boss"):
    """`client` signed in as `username` of `tenant`; the session lives in that tenant's schema."""
    from django.contrib.auth import get_user_model
    from django_tenants.utils import tenant_context

    with tenant_context(tenant):
        client.force_login(get_user_model().objects.get(username=username))
    return client


@pytest.fixture
def acme_api(acme, acme_client):
    return logged_in(acme_client, acme)


@pytest.fixture
def globex_api(globex, globex_client):
    return logged_in(globex_client, globex)
