from decimal import Decimal

import pytest

from inventory.models import Location
from production.services import bom_create
from tests.inventory.factories import ItemFactory, UserFactory


@pytest.fixture
def planner(in_acme):
    return UserFactory(username="planner")


@pytest.fixture
def receiving(in_acme):
    return Location.objects.get(is_default_receiving=True)


@pytest.fixture
def make_bom(planner):
    """make_bom(item, (component, quantity[, scrap_percent]), ...) -> an active BOM built by the service."""

    def make(item, *lines, version="1"):
        specs = [
            {"component": line[0], "quantity": Decimal(str(line[1])), "scrap_percent": Decimal(str(line[2]))}
            if len(line) > 2
            else {"component": line[0], "quantity": Decimal(str(line[1]))}
            for line in lines
        ]
        return bom_create(item=item, lines=specs, version=version, user=planner)

    return make


@pytest.fixture
def item(in_acme):
    """item("SKU") -> a new active item with that SKU."""

    def make(sku, **fields):
        return ItemFactory(sku=sku, name=sku.title(), **fields)

    return make
