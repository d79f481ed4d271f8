"""The item list's filters (kind, status, stock at a location, in stock), page size and page jump; the reorder report
is paged. Bad filter values are said by their field (400) and the other filters still apply."""

from decimal import Decimal

import pytest

from inventory.models import Item, Location
from inventory.services import stock_receive
from tests.inventory.conftest import logged_in
from tests.inventory.factories import ItemFactory, LocationFactory


@pytest.fixture
def web(acme, acme_client, in_acme):
    return logged_in(acme_client, acme)


@pytest.fixture
def stocked(in_acme, django_user_model):
    """F-RAW (raw, 5 at receiving), F-FIN (finished, 3 at SHELF-F), F-OLD (raw, inactive, none), F-NONE (raw)."""
    boss = django_user_model.objects.get(username="boss")
    receiving, shelf = Location.objects.get(is_default_receiving=True), LocationFactory(code="SHELF-F")
    raw = ItemFactory(sku="F-RAW", kind=Item.Kind.RAW_MATERIAL)
    fin = ItemFactory(sku="F-FIN", kind=Item.Kind.FINISHED_GOOD)
    ItemFactory(sku="F-OLD", kind=Item.Kind.RAW_MATERIAL, is_active=False)
    ItemFactory(sku="F-NONE", kind=Item.Kind.RAW_MATERIAL)
    stock_receive(item=raw, location=receiving, quantity=Decimal(5), user=boss)
    stock_receive(item=fin, location=shelf, quantity=Decimal(3), user=boss)
    return shelf


def _skus(response) -> list[str]:
    return [item.sku for item in response.context["page"].object_list]


def test_filter_by_kind(web, stocked):
    assert _skus(web.get("/inventory/", {"q": "F-", "kind": Item.Kind.FINISHED_GOOD})) == ["F-FIN"]


def test_filter_by_status(web, stocked):
    assert _skus(web.get("/inventory/", {"q": "F-", "active": "no"})) == ["F-OLD"]
    assert "F-OLD" not in _skus(web.get("/inventory/", {"q": "F-", "active": "yes"}))


def test_filter_in_stock_only(web, stocked):
    assert _skus(web.get("/inventory/", {"q": "F-", "in_stock": "on"})) == ["F-FIN", "F-RAW"]


def test_filter_by_location_totals_that_location_only(web, stocked):
    response = web.get("/inventory/", {"location": stocked.pk})
    assert _skus(response) == ["F-FIN"]
    assert response.context["page"].object_list[0].total_on_hand == 3
    assert "totals at SHELF-F" in response.content.decode()


def test_filters_combine(web, stocked):
    response = web.get("/inventory/", {"q": "F-", "kind": Item.Kind.RAW_MATERIAL, "active": "yes", "in_stock": "on"})
    assert _skus(response) == ["F-RAW"]


def test_an_unknown_kind_is_a_400_by_its_field_and_the_rest_still_filters(web, stocked):
    response = web.get("/inventory/", {"q": "F-N", "kind": "spaceship"})
    assert response.status_code == 400
    assert "Select a valid choice" in response.content.decode()
    assert _skus(response) == ["F-NONE"]


def test_another_tenants_location_is_not_a_choice(web, stocked, globex):
    from django_tenants.utils import tenant_context

    with tenant_context(globex):
        theirs = LocationFactory(code="GLOBEX-ONLY", id=987654)
    response = web.get("/inventory/", {"location": theirs.pk})
    assert response.status_code == 400
    assert "GLOBEX-ONLY" not in response.content.decode()


def test_page_size_and_page_jump(web, in_acme):
    for n in range(60):
        ItemFactory(sku=f"P-{n:03d}")
    response = web.get("/inventory/", {"q": "P-", "size": "50", "page": "2"})
    assert _skus(response)[0] == "P-050" and len(_skus(response)) == 10
    page = response.content.decode()
    assert 'id="page-jump"' in page and 'max="2"' in page
    assert '<input type="hidden" name="q" value="P-">' in page  # the jump keeps the filters
    assert '<option value="50" selected>' in page


def test_an_unknown_page_size_falls_back_to_25_and_a_bad_page_to_the_first(web, in_acme):
    for n in range(30):
        ItemFactory(sku=f"P-{n:03d}")
    response = web.get("/inventory/", {"q": "P-", "size": "7", "page": "x"})
    assert response.status_code == 200
    assert len(_skus(response)) == 25 and _skus(response)[0] == "P-000"


def test_reorder_report_is_paged(web, in_acme):
    for n in range(30):
        ItemFactory(sku=f"R-{n:03d}", reorder_point=5, reorder_quantity=10)
    first = web.get("/inventory/reorder/")
    assert first.context["page"].paginator.count == 30
    assert len(first.context["page"].object_list) == 25
    assert "30 items to reorder" in first.content.decode()
    second = web.get("/inventory/reorder/", {"page": 2})
    assert [line.item.sku for line in second.context["page"].object_list] == [f"R-{n:03d}" for n in range(25, 30)]
