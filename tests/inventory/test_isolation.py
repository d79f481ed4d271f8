"""acme's API and pages never show or change globex's stock: not by host, not by session, not by guessed ids."""

import base64

import pytest
from django.contrib.auth import get_user_model
from django_tenants.utils import tenant_context

from inventory.models import Item, StockMove
from inventory.services import stock_receive
from tests.inventory.conftest import logged_in
from tests.inventory.factories import ItemFactory, LocationFactory


@pytest.fixture
def globex_secret(acme, globex):
    """A globex item with stock, whose id names no acme item (ids come from per-schema sequences and may coincide)."""
    with tenant_context(acme):
        acme_ids = set(Item.objects.values_list("pk", flat=True))
    with tenant_context(globex):
        items = [ItemFactory(sku=f"GLOBEX-SECRET-{n}", name="Globex secret part") for n in range(3)]
        while items[-1].pk in acme_ids:
            items.append(ItemFactory(sku=f"GLOBEX-SECRET-{len(items)}", name="Globex secret part"))
        location = LocationFactory(code="GX-1")
        for item in items:
            stock_receive(item=item, location=location, quantity=7, user=None)
    return items[-1], location


@pytest.fixture
def acme_item(acme):
    with tenant_context(acme):
        return ItemFactory(sku="ACME-PART", name="Acme part")


@pytest.fixture
def ghost_id(acme, acme_item, globex_secret) -> int:
    item, _ = globex_secret
    with tenant_context(acme):
        assert not Item.objects.filter(pk=item.pk).exists()
    return item.pk


def test_acme_item_list_shows_only_acme_items(acme_api, acme_item, globex_secret):
    skus = [row["sku"] for row in acme_api.get("/api/v1/items/").json()["results"]]
    assert skus == ["ACME-PART"]


def test_acme_search_for_a_globex_sku_finds_nothing(acme_api, acme_item, globex_secret):
    assert acme_api.get("/api/v1/items/", {"search": "GLOBEX"}).json()["count"] == 0
    assert b"GLOBEX-SECRET" not in acme_api.get("/inventory/", {"q": "GLOBEX"}).content


def test_guessing_a_globex_item_id_on_acme_is_a_404(acme_api, ghost_id):
    assert acme_api.get(f"/api/v1/items/{ghost_id}/").status_code == 404
    assert acme_api.get(f"/inventory/items/{ghost_id}/").status_code == 404


def test_acme_stock_levels_and_moves_do_not_include_globex_rows(acme_api, acme_item, globex_secret):
    assert acme_api.get("/api/v1/stock-levels/").json()["count"] == 0
    assert acme_api.get("/api/v1/moves/").json()["count"] == 0


def test_posting_a_move_for_a_globex_item_id_on_acme_is_refused_and_globex_is_untouched(
    acme_api, globex, ghost_id, acme
):
    with tenant_context(acme):
        location = LocationFactory()
    response = acme_api.post(
        "/api/v1/moves/",
        {"item": ghost_id, "quantity": "1", "reason": "receipt", "to_location": location.pk},
        content_type="application/json",
    )
    assert response.status_code == 400
    assert "item" in response.json()
    with tenant_context(globex):
        assert StockMove.objects.filter(item_id=ghost_id).count() == 1


def test_acme_session_is_not_valid_on_the_globex_host(acme, globex_client, globex_secret):
    logged_in(globex_client, acme)  # the session row lives in acme's schema; the cookie goes to globex's host
    assert globex_client.get("/api/v1/items/").status_code in {401, 403}
    page = globex_client.get("/inventory/")
    assert page.status_code == 302
    assert "login" in page["Location"]


def test_acme_credentials_do_not_authenticate_on_the_globex_host(acme, globex_client, globex_secret, settings):
    settings.API_BASIC_AUTH = True  # off by default (access.authentication.LimitedBasicAuthentication)
    with tenant_context(acme):
        get_user_model().objects.create_user(username="alice", password="acme-only-password")
    token = base64.b64encode(b"alice:acme-only-password").decode()
    response = globex_client.get("/api/v1/items/", HTTP_AUTHORIZATION=f"Basic {token}")
    assert response.status_code in {401, 403}
    assert response.json() == {"detail": "Invalid username/password."}


def test_globex_sees_its_own_items_through_its_own_host(globex_api, globex_secret):
    skus = {row["sku"] for row in globex_api.get("/api/v1/items/").json()["results"]}
    assert "GLOBEX-SECRET-2" in skus


def test_the_posting_function_lives_in_each_tenant_schema_and_not_in_public(acme, globex):
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pronamespace::regnamespace::text FROM pg_proc WHERE proname = 'inventory_post_move'"
            " AND pronamespace::regnamespace::text IN (%s, %s, 'public')",
            [acme.schema_name, globex.schema_name],
        )
        schemas = sorted(row[0] for row in cursor.fetchall())
    assert schemas == sorted([acme.schema_name, globex.schema_name])


def test_posting_a_globex_item_through_the_services_on_acme_is_refused_and_globex_is_untouched(
    acme, globex, globex_secret, ghost_id
):
    from inventory.services import InvalidMove

    item, globex_location = globex_secret
    with tenant_context(acme):
        acme_location = LocationFactory(code="AC-1")
        with pytest.raises(InvalidMove, match="unknown item"):
            stock_receive(item=item, location=acme_location, quantity=1, user=None)
        assert not StockMove.objects.filter(item_id=ghost_id).exists()
    with tenant_context(globex):
        assert StockMove.objects.filter(item_id=ghost_id).count() == 1
        assert item.levels.get(location=globex_location).on_hand == 7


def test_a_move_posted_on_acme_changes_only_acme_levels_even_when_ids_coincide(acme, globex):
    from inventory.models import StockLevel

    with tenant_context(globex):
        globex_items = {item.pk: item for item in ItemFactory.create_batch(3)}
        globex_locations = {location.pk: location for location in LocationFactory.create_batch(3)}
    with tenant_context(acme):
        acme_items = ItemFactory.create_batch(3)
        acme_locations = LocationFactory.create_batch(3)
        pairs = [(i, loc) for i in acme_items for loc in acme_locations]
        item, location = next(
            ((i, loc) for i, loc in pairs if i.pk in globex_items and loc.pk in globex_locations), pairs[0]
        )
        stock_receive(item=item, location=location, quantity=5, user=None)
        assert StockLevel.objects.get(item=item, location=location).on_hand == 5
    with tenant_context(globex):
        assert not StockLevel.objects.filter(item_id=item.pk, location_id=location.pk).exists()
        assert not StockMove.objects.filter(item_id=item.pk).exists()
