"""Scanner-friendly inventory pages: a scanned SKU (text ending with Enter) jumps to its item and says its name and
stock; a work-order or order number opens that; SKUs match in any letter case everywhere (selectors.item_by_sku)."""

import datetime
from decimal import Decimal

from inventory.models import Location
from inventory.services import stock_receive
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
    assert '<label for="scan-sku">Scan or type a SKU, work-order or order number</label>' in page
    assert 'action="/inventory/scan/"' in page


def test_sku_fields_are_marked_for_scanning(acme_api, in_acme):
    for path in ("/inventory/stock/receive/", "/inventory/stock/issue/", "/production/work-orders/new/"):
        page = acme_api.get(path).content.decode()
        assert 'name="item"' in page and "data-scan" in page, path
        assert "<select" not in page.split('name="item"')[0].rsplit("<", 1)[-1]  # typed, not a dropdown


def test_scan_needs_a_signed_in_user(acme_client, in_acme):
    assert "/accounts/login/" in acme_client.get("/inventory/scan/", {"sku": "X"})["Location"]


def test_a_scan_says_the_items_name_and_stock(acme_api, in_acme, django_user_model):
    item = ItemFactory(sku="BOLT-10", name="Bolt M10")
    boss = django_user_model.objects.get(username="boss")
    stock_receive(item=item, location=Location.objects.get(is_default_receiving=True), quantity=Decimal(15), user=boss)
    page = acme_api.get("/inventory/scan/", {"sku": "bolt-10"}, follow=True).content.decode()
    assert f"BOLT-10: Bolt M10. 15 {item.uom.code} on hand, 15 available." in page


def test_the_stock_endpoint_says_name_and_stock_in_any_letter_case(acme_api, in_acme):
    item = ItemFactory(sku="NUT-M8", name="Nut M8")
    response = acme_api.get("/inventory/scan/stock/", {"sku": " nut-m8 "})
    assert response.status_code == 200
    assert response.content.decode() == f"NUT-M8: Nut M8. 0 {item.uom.code} on hand, 0 available."


def test_the_stock_endpoint_is_a_404_for_an_unknown_sku(acme_api, in_acme):
    response = acme_api.get("/inventory/scan/stock/", {"sku": "NOPE"})
    assert response.status_code == 404
    assert response.content.decode() == "No item with SKU NOPE."


def test_the_stock_endpoint_does_not_see_another_tenants_items(acme_api, globex):
    from django_tenants.utils import tenant_context

    with tenant_context(globex):
        ItemFactory(sku="GLOBEX-ONLY")
    assert acme_api.get("/inventory/scan/stock/", {"sku": "GLOBEX-ONLY"}).status_code == 404


def test_a_scanned_work_order_number_opens_it(acme_api, in_acme):
    from tests.production.factories import WorkOrderFactory

    work_order = WorkOrderFactory()
    response = acme_api.get("/inventory/scan/", {"sku": work_order.number.lower()})
    assert response["Location"] == f"/production/work-orders/{work_order.pk}/"


def test_a_scanned_order_number_opens_it(acme_api, in_acme, django_user_model):
    from orders.services import purchase_order_create, sales_order_create
    from tests.orders.factories import CustomerFactory, SupplierFactory

    boss = django_user_model.objects.get(username="boss")
    line = {"item": ItemFactory(), "quantity": 1, "unit_price": "1", "promised_date": datetime.date(2030, 1, 1)}
    sales = sales_order_create(customer=CustomerFactory(), lines=[line], user=boss)
    purchase = purchase_order_create(
        supplier=SupplierFactory(), lines=[{"item": line["item"], "quantity": 1, "unit_cost": "1"}], user=boss
    )
    assert acme_api.get("/inventory/scan/", {"sku": sales.number})["Location"] == f"/orders/sales/{sales.pk}/"
    assert acme_api.get("/inventory/scan/", {"sku": purchase.number.lower()})["Location"] == (
        f"/orders/purchases/{purchase.pk}/"
    )


def test_an_item_sku_wins_over_a_work_order_number(acme_api, in_acme):
    from tests.production.factories import WorkOrderFactory

    work_order = WorkOrderFactory()
    item = ItemFactory(sku=work_order.number)
    assert acme_api.get("/inventory/scan/", {"sku": work_order.number})["Location"] == f"/inventory/items/{item.pk}/"


def test_another_tenants_work_order_number_is_not_found(acme_api, globex):
    from django_tenants.utils import tenant_context

    from tests.production.factories import WorkOrderFactory

    with tenant_context(globex):
        number = WorkOrderFactory(number="WO-GLOBEX-1").number
    response = acme_api.get("/inventory/scan/", {"sku": number})
    assert response["Location"].startswith("/inventory/?q=")


def test_a_scanned_sku_in_a_move_form_is_found_in_any_letter_case(acme_api, in_acme):
    item = ItemFactory(sku="CASE-1")
    response = acme_api.post(
        "/inventory/stock/receive/",
        {"item": "case-1", "location": Location.objects.get(is_default_receiving=True).pk, "quantity": "2"},
    )
    assert response.status_code == 302
    assert response["Location"] == f"/inventory/items/{item.pk}/"
