"""The item list sorts on the server, by a whitelisted column, and keeps the sort and search across pages."""

from decimal import Decimal

from inventory.models import Location
from inventory.services import stock_receive
from tests.inventory.factories import ItemFactory


def _skus(page: str) -> list[str]:
    return [part.split("<", 1)[0] for part in page.split('/">')[1:] if part.startswith("S-")]


def test_items_sort_by_on_hand_descending_and_back(acme_api, in_acme, django_user_model):
    boss = django_user_model.objects.get(username="boss")
    receiving = Location.objects.get(is_default_receiving=True)
    for sku, quantity in (("S-A", 5), ("S-B", 50), ("S-C", 20)):
        stock_receive(item=ItemFactory(sku=sku), location=receiving, quantity=Decimal(quantity), user=boss)
    page = acme_api.get("/inventory/", {"sort": "-on_hand"}).content.decode()
    assert _skus(page) == ["S-B", "S-C", "S-A"]
    assert 'aria-sort="descending"' in page
    assert 'href="?sort=on_hand"' in page  # the header link flips the order
    assert _skus(acme_api.get("/inventory/", {"sort": "on_hand"}).content.decode()) == ["S-A", "S-C", "S-B"]


def test_an_unknown_sort_falls_back_to_sku(acme_api, in_acme):
    ItemFactory(sku="S-B")
    ItemFactory(sku="S-A")
    page = acme_api.get("/inventory/", {"sort": "password"}).content.decode()
    assert _skus(page) == ["S-A", "S-B"]


def test_pages_keep_the_search_and_the_sort(acme_api, in_acme):
    for n in range(30):
        ItemFactory(sku=f"S-{n:03d}", name="Washer")
    page = acme_api.get("/inventory/", {"q": "washer", "sort": "-sku"}).content.decode()
    assert 'href="?q=washer&amp;sort=-sku&amp;page=2"' in page
    assert _skus(page)[0] == "S-029"
