"""Scanner-friendly inventory pages: a scanned SKU (text ending with Enter) jumps to its item."""

from tests.inventory.factories import ItemFactory


def test_scanned_sku_opens_its_item(acme_api, in_acme):
    item = ItemFactory(sku="BOLT-10")
    response = acme_api.get("/inventory/scan/", {"sku": " BOLT-10 "})
    assert response.status_code == 302
    assert response["Location"] == f"/inventory/items/{item.pk}/"


def test_scan_ignores_letter_case_when_nothing_matches_exactly(acme_api, in_acme):
    item = ItemFactory(sku="NUT-M8")
    assert acme_api.get("/inventory/scan/", {"sku": "nut-m8"})["Location"] == f"/inventory/items/{item.pk}/"


def test_unknown_sku_says_so_and_searches_for_it(acme_api, in_acme):
    ItemFactory(sku="BOLT-10")
    response = acme_api.get("/inventory/scan/", {"sku": "BOLT-1"}, follow=True)
    page = response.content.decode()
    assert response.redirect_chain[-1][0] == "/inventory/?q=BOLT-1"
    assert "No item with SKU BOLT-1." in page
    assert "BOLT-10" in page  # the partial match is listed


def test_every_inventory_page_has_a_labelled_scan_box(acme_api, in_acme):
    page = acme_api.get("/inventory/locations/").content.decode()
    assert '<label for="scan-sku">Scan or type a SKU</label>' in page
    assert 'action="/inventory/scan/"' in page


def test_sku_fields_are_marked_for_scanning(acme_api, in_acme):
    for path in ("/inventory/stock/receive/", "/inventory/stock/issue/", "/production/work-orders/new/"):
        page = acme_api.get(path).content.decode()
        assert 'name="item"' in page and "data-scan" in page, path
        assert "<select" not in page.split('name="item"')[0].rsplit("<", 1)[-1]  # typed, not a dropdown


def test_scan_needs_a_signed_in_user(acme_client, in_acme):
    assert "/accounts/login/" in acme_client.get("/inventory/scan/", {"sku": "X"})["Location"]
