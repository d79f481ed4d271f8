import pytest

from tests.inventory.factories import ItemFactory, LocationFactory, UserFactory


@pytest.fixture
def clerk(in_acme):
    return UserFactory(username="clerk")


@pytest.fixture
def bolt(in_acme):
    return ItemFactory(sku="BOLT-10", name="Bolt M10")


@pytest.fixture
def a1(in_acme):
    return LocationFactory(code="A1", name="Aisle 1")


@pytest.fixture
def b2(in_acme):
    return LocationFactory(code="B2", name="Aisle 2")
