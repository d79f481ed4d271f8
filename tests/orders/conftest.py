import datetime

import pytest
from django.utils import timezone

from inventory.models import Location
from tests.orders.factories import CustomerFactory, ItemFactory, LocationFactory, SupplierFactory, UserFactory


@pytest.fixture
def clerk(in_acme):
    return UserFactory(username="clerk")


@pytest.fixture
def bolt(in_acme):
    return ItemFactory(sku="BOLT-10", name="Bolt M10")


@pytest.fixture
def nut(in_acme):
    return ItemFactory(sku="NUT-10", name="Nut M10")


@pytest.fixture
def store(in_acme):
    return LocationFactory(code="STORE", name="Main store")


@pytest.fixture
def receiving(in_acme):
    return Location.objects.get(is_default_receiving=True)


@pytest.fixture
def customer(in_acme):
    return CustomerFactory(code="C-ONE", name="Customer One")


@pytest.fixture
def supplier(in_acme):
    return SupplierFactory(code="S-ONE", name="Supplier One", default_lead_time_days=10)


@pytest.fixture
def today():
    return timezone.localdate()


@pytest.fixture
def next_week(today):
    return today + datetime.timedelta(days=7)
