"""Work order and BOM lists sort on the server by a whitelisted column (core.tables); paging keeps the sort."""

import datetime
from decimal import Decimal

import pytest

from tests.inventory.conftest import logged_in
from tests.inventory.factories import ItemFactory
from tests.production.factories import BomFactory, BomLineFactory, WorkOrderFactory

JAN = lambda day: datetime.date(2027, 1, day)  # noqa: E731


@pytest.fixture
def web(acme, acme_client):
    return logged_in(acme_client, acme)


def _cells(page: str, prefix: str) -> list[str]:
    return [part.split("<", 1)[0] for part in page.split('/">')[1:] if part.startswith(prefix)]


@pytest.fixture
def work_orders(in_acme):
    """WO-B: item ZED, 5 off, due Jan 3, released; WO-A: item ALPHA, 50 off, due Jan 9, draft; WO-C: MID, 20, Jan 1."""
    specs = [("WO-B", "ZED", 5, 3, "released"), ("WO-A", "ALPHA", 50, 9, "draft"), ("WO-C", "MID", 20, 1, "draft")]
    for number, sku, quantity, day, state in specs:
        WorkOrderFactory(
            number=number, item=ItemFactory(sku=sku), quantity=Decimal(quantity), due_date=JAN(day), state=state
        )


@pytest.mark.parametrize(
    ("sort", "expected"),
    [
        ("number", ["WO-A", "WO-B", "WO-C"]),
        ("-number", ["WO-C", "WO-B", "WO-A"]),
        ("item", ["WO-A", "WO-C", "WO-B"]),
        ("quantity", ["WO-B", "WO-C", "WO-A"]),
        ("-quantity", ["WO-A", "WO-C", "WO-B"]),
        ("due", ["WO-C", "WO-B", "WO-A"]),
        ("state", ["WO-A", "WO-C", "WO-B"]),  # draft before released, then by number
        ("-state", ["WO-B", "WO-A", "WO-C"]),
    ],
)
def test_work_orders_sort_by_each_column(web, work_orders, sort, expected):
    page = web.get("/production/", {"sort": sort}).content.decode()
    assert _cells(page, "WO-") == expected


@pytest.mark.parametrize("sort", ["password", "-item__password", "", "-", "due_date"])
def test_an_unknown_work_order_sort_falls_back_to_due_date(web, work_orders, sort):
    response = web.get("/production/", {"sort": sort})
    assert response.status_code == 200
    assert _cells(response.content.decode(), "WO-") == ["WO-C", "WO-B", "WO-A"]


def test_the_work_order_header_flips_and_the_state_filter_keeps_the_sort(web, work_orders):
    page = web.get("/production/", {"state": "all", "sort": "quantity"}).content.decode()
    assert 'aria-sort="ascending"' in page
    assert 'href="?state=all&amp;sort=-quantity"' in page
    assert 'href="?state=draft&amp;sort=quantity"' in page


def test_work_order_pages_keep_the_state_and_the_sort(web, in_acme):
    for n in range(30):
        WorkOrderFactory(number=f"WO-{n:03d}")
    page = web.get("/production/", {"state": "draft", "sort": "-number"}).content.decode()
    assert 'href="?state=draft&amp;sort=-number&amp;page=2"' in page
    assert _cells(page, "WO-")[0] == "WO-029"


@pytest.fixture
def boms(in_acme):
    """GEAR v2 (inactive, 1 line), AXLE v1 (3 lines), GEAR v1 (2 lines)."""
    gear, axle = ItemFactory(sku="GEAR"), ItemFactory(sku="AXLE")
    made = {}
    for key, item, version, active, lines in [
        ("gear2", gear, "2", False, 1),
        ("axle1", axle, "1", True, 3),
        ("gear1", gear, "1", True, 2),
    ]:
        bom = BomFactory(item=item, version=version, is_active=active)
        for _ in range(lines):
            BomLineFactory(bom=bom)
        made[key] = bom
    return made


def _bom_order(page: str, boms: dict) -> list[str]:
    positions = {key: page.index(f'href="/production/boms/{bom.pk}/"') for key, bom in boms.items()}
    return sorted(positions, key=positions.get)


@pytest.mark.parametrize(
    ("sort", "expected"),
    [
        ("item", ["axle1", "gear1", "gear2"]),
        ("-item", ["gear1", "gear2", "axle1"]),  # ties by SKU, then version
        ("version", ["axle1", "gear1", "gear2"]),
        ("-version", ["gear2", "axle1", "gear1"]),
        ("active", ["gear2", "axle1", "gear1"]),
        ("lines", ["gear2", "gear1", "axle1"]),
        ("-lines", ["axle1", "gear1", "gear2"]),
    ],
)
def test_boms_sort_by_each_column(web, boms, sort, expected):
    page = web.get("/production/boms/", {"sort": sort}).content.decode()
    assert _bom_order(page, boms) == expected


@pytest.mark.parametrize("sort", ["lines__component__sku", "-nonsense", "", "-"])
def test_an_unknown_bom_sort_falls_back_to_item(web, boms, sort):
    response = web.get("/production/boms/", {"sort": sort})
    assert response.status_code == 200
    assert _bom_order(response.content.decode(), boms) == ["axle1", "gear1", "gear2"]


def test_bom_search_keeps_the_sort_and_the_header_links_keep_the_search(web, boms):
    page = web.get("/production/boms/", {"q": "gear", "sort": "-lines"}).content.decode()
    assert '<input type="hidden" name="sort" value="-lines">' in page
    assert 'href="?q=gear&amp;sort=lines"' in page and 'aria-sort="descending"' in page
    assert "AXLE" not in page
