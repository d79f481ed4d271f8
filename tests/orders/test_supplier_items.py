"""Supplier prices: one per supplier and item, one preferred supplier per item (the flag moves), checked at the door
(a supplier, a price of zero or more, a lead time, a minimum the item's unit counts), audited, per tenant."""

from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction
from django_tenants.utils import tenant_context

from audit.models import AuditEntry
from orders.models import SupplierItem
from orders.services import OrderError, supplier_item_create, supplier_item_update
from tests.inventory.conftest import logged_in
from tests.orders.factories import CustomerFactory, SupplierFactory
from tests.web_roles import signed_in_as

URL = "/api/v1/supplier-items/"
JSON = "application/json"


@pytest.fixture
def acme_api(acme, acme_client):
    return logged_in(acme_client, acme)


def test_preferring_a_supplier_moves_the_flag_from_the_previous_one(in_acme, bolt, clerk):
    s1, s2 = SupplierFactory(), SupplierFactory()
    first = supplier_item_create(supplier=s1, item=bolt, unit_price="2.50", is_preferred=True, user=clerk)
    second = supplier_item_create(supplier=s2, item=bolt, unit_price="2.00", is_preferred=True, user=clerk)
    first.refresh_from_db()
    assert (first.is_preferred, second.is_preferred) == (False, True)
    supplier_item_update(supplier_item=first, is_preferred=True, user=clerk)
    second.refresh_from_db()
    assert list(SupplierItem.objects.filter(is_preferred=True)) == [first] and not second.is_preferred


def test_the_database_holds_one_preferred_supplier_per_item(in_acme, bolt, clerk):
    s1, s2 = SupplierFactory(), SupplierFactory()
    supplier_item_create(supplier=s1, item=bolt, unit_price="1", is_preferred=True, user=clerk)
    with pytest.raises(IntegrityError), transaction.atomic():
        SupplierItem.objects.create(supplier=s2, item=bolt, unit_price=Decimal(1), is_preferred=True)


def test_a_second_price_of_one_supplier_for_one_item_is_refused(in_acme, bolt, clerk):
    supplier = SupplierFactory(code="S1")
    supplier_item_create(supplier=supplier, item=bolt, unit_price="1", user=clerk)
    with pytest.raises(OrderError, match="S1 already has a price for BOLT-10; edit it"):
        supplier_item_create(supplier=supplier, item=bolt, unit_price="2", user=clerk)


def test_a_customer_is_not_a_supplier(in_acme, bolt, clerk):
    with pytest.raises(OrderError, match="is not a supplier"):
        supplier_item_create(supplier=CustomerFactory(), item=bolt, unit_price="1", user=clerk)


def test_changes_are_audited(in_acme, bolt, clerk):
    price = supplier_item_create(supplier=SupplierFactory(), item=bolt, unit_price="1", user=clerk)
    supplier_item_update(supplier_item=price, unit_price="1.75", user=clerk)
    entry = AuditEntry.objects.get(action="orders.supplier_item_update")
    assert entry.changes == {"unit_price": ["1", "1.75"]}


def test_a_supplier_price_through_the_api(acme_api, in_acme, bolt):
    supplier = SupplierFactory()
    body = {"supplier": supplier.pk, "item": bolt.pk, "unit_price": "3.20", "lead_time_days": 12,
            "minimum_quantity": "50", "is_preferred": True}  # fmt: skip
    response = acme_api.post(URL, body, content_type=JSON)
    assert response.status_code == 201, response.content
    assert (response.json()["sku"], response.json()["unit_price"]) == ("BOLT-10", "3.2000")
    listed = acme_api.get(URL, {"item": bolt.pk}).json()
    assert [row["id"] for row in listed.get("results", listed)] == [response.json()["id"]]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"unit_price": "-1"}, "unit_price"),
        ({"unit_price": "abc"}, "unit_price"),
        ({"lead_time_days": 4000}, "lead_time_days"),
        ({"lead_time_days": -1}, "lead_time_days"),
        ({"minimum_quantity": "0"}, "minimum_quantity"),
        ({"minimum_quantity": "2.5"}, "minimum_quantity"),  # BOLT-10 is counted in whole pieces
        ({"item": 999999}, "item"),
    ],
)
def test_bad_input_is_a_400_on_its_field(acme_api, in_acme, bolt, change, field):
    body = {"supplier": SupplierFactory().pk, "item": bolt.pk, "unit_price": "1", **change}
    response = acme_api.post(URL, body, content_type=JSON)
    assert response.status_code == 400, response.content
    assert field in response.json()
    assert not SupplierItem.objects.exists()


def test_a_viewer_may_read_but_not_write_supplier_prices(acme, acme_client, bolt):
    viewer = signed_in_as(acme_client, acme, "read-only")
    body = {"supplier": SupplierFactory().pk, "item": bolt.pk, "unit_price": "1"}
    assert viewer.get(URL).status_code == 200
    assert viewer.post(URL, body, content_type=JSON).status_code == 403


def test_another_tenants_supplier_prices_are_out_of_reach(acme, globex, globex_client, bolt, clerk):
    with tenant_context(acme):
        price = supplier_item_create(supplier=SupplierFactory(), item=bolt, unit_price="1", user=clerk)
    client = logged_in(globex_client, globex)
    assert client.get(f"{URL}{price.pk}/").status_code == 404
    assert client.patch(f"{URL}{price.pk}/", {"unit_price": "9"}, content_type=JSON).status_code == 404
    listed = client.get(URL).json()
    assert price.pk not in [row["id"] for row in listed.get("results", listed)]


# --- Pages ----------------------------------------------------------------------------------------------------------
def test_adding_a_price_on_the_suppliers_page(acme_api, in_acme, bolt):
    supplier = SupplierFactory(code="S1")
    url = f"/orders/partners/{supplier.pk}/prices/"
    body = {
        "item": "bolt-10",
        "unit_price": "2.40",
        "lead_time_days": "6",
        "minimum_quantity": "",
        "is_preferred": "on",
    }
    response = acme_api.post(url, body)
    assert response.status_code == 302, response.content
    price = SupplierItem.objects.get()
    assert (price.item, price.unit_price, price.lead_time_days, price.is_preferred) == (bolt, Decimal("2.40"), 6, True)
    assert b"BOLT-10" in acme_api.get(url).content


def test_a_bad_price_on_the_page_is_a_form_error_on_its_field(acme_api, in_acme, bolt):
    supplier = SupplierFactory()
    url = f"/orders/partners/{supplier.pk}/prices/"
    response = acme_api.post(
        url, {"item": "BOLT-10", "unit_price": "1", "lead_time_days": "0", "minimum_quantity": "0.5"}
    )
    assert response.status_code == 400 and response.context["form"].errors["minimum_quantity"]
    assert not SupplierItem.objects.exists()


def test_editing_a_price_on_its_page(acme_api, in_acme, bolt, clerk):
    price = supplier_item_create(supplier=SupplierFactory(), item=bolt, unit_price="1", user=clerk)
    body = {"item": "BOLT-10", "unit_price": "1.10", "lead_time_days": "3", "minimum_quantity": "10"}
    assert acme_api.post(f"/orders/supplier-prices/{price.pk}/edit/", body).status_code == 302
    price.refresh_from_db()
    assert (price.unit_price, price.lead_time_days, price.minimum_quantity) == (Decimal("1.10"), 3, Decimal(10))


def test_a_viewer_cannot_add_or_edit_prices_on_the_pages(acme, acme_client, bolt, clerk):
    supplier = SupplierFactory()
    price = supplier_item_create(supplier=supplier, item=bolt, unit_price="1", user=clerk)
    viewer = signed_in_as(acme_client, acme, "read-only")
    body = {"item": "BOLT-10", "unit_price": "5", "lead_time_days": "0"}
    assert viewer.post(f"/orders/partners/{supplier.pk}/prices/", body).status_code == 403
    assert viewer.get(f"/orders/supplier-prices/{price.pk}/edit/").status_code == 403


def test_another_tenants_price_pages_are_404(acme, globex, globex_client, bolt, clerk):
    with tenant_context(acme):
        supplier = SupplierFactory()
        price = supplier_item_create(supplier=supplier, item=bolt, unit_price="1", user=clerk)
    client = logged_in(globex_client, globex)
    assert client.get(f"/orders/partners/{supplier.pk}/prices/").status_code == 404
    assert client.get(f"/orders/supplier-prices/{price.pk}/edit/").status_code == 404


# --- Admin ----------------------------------------------------------------------------------------------------------
def test_a_price_is_added_in_the_admin_through_the_service(acme_api, in_acme, bolt):
    supplier = SupplierFactory()
    assert acme_api.get("/admin/orders/supplieritem/").status_code == 200
    body = {"supplier": supplier.pk, "item": bolt.pk, "unit_price": "0.80", "lead_time_days": "2", "is_preferred": "on"}
    response = acme_api.post("/admin/orders/supplieritem/add/", body)
    assert response.status_code == 302, response.content
    price = SupplierItem.objects.get()
    assert (price.unit_price, price.is_preferred) == (Decimal("0.80"), True)
    assert AuditEntry.objects.filter(action="orders.supplier_item_create").count() == 1
