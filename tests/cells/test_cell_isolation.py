"""The isolation attack across cells: a tenant on one cell cannot reach a tenant on another (or on its own cell) by
host, token or schema name."""

import pytest
from django.db import DatabaseError, connection, transaction
from django.test import Client

from cells import routing
from tests.cells.conftest import CELL, drop, provision, token_for
from tests.conftest import host_of

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def east_neighbour(west_and_east, django_db_blocker):
    """A second tenant on cell `east`, beside the first."""
    with django_db_blocker.unblock():
        tenant = provision("eastb", cell=CELL)
    yield tenant
    with django_db_blocker.unblock():
        drop(tenant)


@pytest.mark.parametrize("direction", ["west token at east", "east token at west"])
def test_a_token_of_a_tenant_on_one_cell_is_refused_by_a_tenant_on_another(
    west_and_east, items_on_each_cell, direction
):
    west, east = west_and_east
    issuer, target = (west, east) if direction == "west token at east" else (east, west)
    token = token_for(Client(HTTP_HOST=host_of(issuer)))
    response = Client(HTTP_HOST=host_of(target)).get("/api/v1/items/", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert response.status_code == 401
    assert items_on_each_cell[target.slug].encode() not in response.content


def test_a_tenant_on_one_cell_cannot_name_the_schema_of_a_tenant_on_another(west_and_east):
    west, east = west_and_east
    for reader, victim in ((west, east), (east, west)):
        with (
            routing.tenant_on_cell(reader),
            pytest.raises(DatabaseError, match="does not exist"),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            cursor.execute(f'SELECT sku FROM "{victim.schema_name}".inventory_item')


def test_a_tenant_cannot_read_its_neighbour_on_the_same_cell_by_schema_name(west_and_east, east_neighbour):
    _west, east = west_and_east
    with (
        routing.tenant_on_cell(east_neighbour),
        pytest.raises(DatabaseError, match="permission denied"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(f'SELECT sku FROM "{east.schema_name}".inventory_item')


def test_a_host_names_only_its_own_tenant_whatever_the_cell(west_and_east, items_on_each_cell):
    west, east = west_and_east
    client = Client(HTTP_HOST=host_of(east))
    token = token_for(client)
    response = client.get("/api/v1/items/", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert [item["sku"] for item in response.json()["results"]] == [items_on_each_cell[east.slug]]
    base_domain = host_of(west).split(".", 1)[1]
    assert Client(HTTP_HOST=f"{east.slug}x.{base_domain}").get("/api/v1/items/").status_code == 404
