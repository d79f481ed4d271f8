"""Input that used to be a 500 or was quietly misread: each is a 400 on its field now, and nothing is written."""

from decimal import Decimal

import pytest

from inventory.models import Item, StockLevel, StockMove
from inventory.services import InvalidMove, InvalidQuantity, item_create, parse_quantity, stock_move_post, stock_receive
from tests.inventory.factories import ItemFactory, UnitFactory

D = Decimal
BIGGEST = "99999999999999.9999"  # fits numeric(18, 4) on its own
ARABIC_12 = "\u0661\u0662"  # Arabic-Indic digits one, two
FULLWIDTH_12 = "\uff11\uff12"


def post_move(client, **payload):
    return client.post("/api/v1/moves/", payload, content_type="application/json")


# --- Quantities the stock level cannot hold ------------------------------------------------------------------------
@pytest.fixture
def fine(in_acme):
    """An item counted to the 4 decimal places a stock level holds (pieces are whole: BIGGEST is no piece count)."""
    return ItemFactory(sku="FINE-1", uom=UnitFactory(code="fine", name="Fine unit", decimals=4))


def test_a_receipt_that_would_overflow_the_level_is_a_400_on_quantity(acme_api, fine, a1, clerk):
    stock_receive(item=fine, location=a1, quantity=10, user=clerk)
    response = post_move(acme_api, item=fine.pk, quantity=BIGGEST, reason="receipt", to_location=a1.pk)
    assert response.status_code == 400, response.content
    assert "the most a stock level holds" in response.json()["quantity"][0]
    assert StockLevel.objects.get(item=fine, location=a1).on_hand == 10
    assert StockMove.objects.filter(item=fine).count() == 1


def test_a_receipt_up_to_what_the_level_holds_is_posted(fine, a1, clerk):
    stock_receive(item=fine, location=a1, quantity=10, user=clerk)
    stock_receive(item=fine, location=a1, quantity=D(BIGGEST) - 10, user=clerk)
    assert StockLevel.objects.get(item=fine, location=a1).on_hand == D(BIGGEST)


def test_an_overflowing_receipt_inside_a_document_transaction_is_a_domain_error(fine, a1, clerk):
    stock_receive(item=fine, location=a1, quantity=10, user=clerk)
    with pytest.raises(InvalidQuantity, match="holds 10"):
        stock_receive(item=fine, location=a1, quantity=BIGGEST, user=clerk)


# --- Numbers in plain digits -----------------------------------------------------------------------------------------
@pytest.mark.parametrize("text", [ARABIC_12, FULLWIDTH_12, "1e3", "1_000", "+5", "-0"])
def test_a_quantity_not_in_plain_digits_is_refused(text):
    with pytest.raises(InvalidQuantity):
        parse_quantity(text, allow_zero=True)


@pytest.mark.parametrize("text", [ARABIC_12, FULLWIDTH_12, "1e1"])
def test_unicode_digits_in_an_api_quantity_are_a_400(acme_api, bolt, a1, text):
    response = post_move(acme_api, item=bolt.pk, quantity=text, reason="receipt", to_location=a1.pk)
    assert response.status_code == 400
    assert "plain digits" in response.json()["quantity"][0]
    assert not StockMove.objects.filter(item=bolt).exists()


def test_minus_zero_is_refused_not_stored(acme_api, in_acme):
    response = acme_api.post(
        "/api/v1/items/",
        {"sku": "NEG-0", "name": "Signed zero", "uom": "pcs", "reorder_point": "-0"},
        content_type="application/json",
    )
    assert response.status_code == 400
    assert "without a sign" in response.json()["reorder_point"][0]
    assert not Item.objects.filter(sku="NEG-0").exists()


def test_a_decimal_minus_zero_from_code_is_stored_as_zero():
    assert str(parse_quantity(D("-0"), allow_zero=True)) == "0"


def _arabic(number: int) -> str:
    return "".join(chr(0x0660 + int(digit)) for digit in str(number))


@pytest.mark.parametrize("spell", [lambda pk: pk + 0.5, lambda pk: float(pk), lambda pk: f"{pk}.0", _arabic])
def test_a_fractional_or_unicode_id_is_a_400_not_truncated(acme_api, bolt, a1, spell):
    response = post_move(acme_api, item=spell(bolt.pk), quantity="1", reason="receipt", to_location=a1.pk)
    assert response.status_code == 400
    assert "item" in response.json()
    assert not StockMove.objects.exists()


def test_a_detail_url_with_unicode_digits_is_a_404(acme_api, bolt):
    assert acme_api.get(f"/api/v1/items/{bolt.pk}/").status_code == 200
    assert acme_api.get(f"/api/v1/items/{_arabic(bolt.pk)}/").status_code == 404


# --- SKUs differ by more than letter case ----------------------------------------------------------------------------
def test_a_sku_differing_only_by_case_is_a_400_on_sku(acme_api, bolt):
    response = acme_api.post(
        "/api/v1/items/", {"sku": "bolt-10", "name": "Twin", "uom": "pcs"}, content_type="application/json"
    )
    assert response.status_code == 400
    assert "ignoring letter case" in response.json()["sku"][0]
    assert Item.objects.filter(sku__iexact="bolt-10").count() == 1


def test_renaming_a_sku_to_a_case_twin_is_refused(bolt, clerk):
    other = ItemFactory(sku="NUT-10")
    with pytest.raises(Exception, match="ignoring letter case"):
        from inventory.services import item_update

        item_update(item=other, user=clerk, sku="Bolt-10")


def test_changing_the_case_of_an_items_own_sku_is_allowed(bolt, clerk):
    from inventory.services import item_update

    item_update(item=bolt, user=clerk, sku="Bolt-10")
    assert Item.objects.get(pk=bolt.pk).sku == "Bolt-10"


def test_the_database_refuses_case_twins_too(bolt):
    from django.db import IntegrityError, transaction

    with pytest.raises(IntegrityError), transaction.atomic():
        Item.objects.create(sku="bolt-10", name="Twin", uom=bolt.uom)


def test_scan_finds_an_item_whatever_the_case(acme_api, bolt):
    response = acme_api.get("/inventory/scan/", {"sku": "bolt-10"})
    assert response.status_code == 302
    assert response["Location"].endswith(f"/inventory/items/{bolt.pk}/")


def test_a_service_created_item_with_a_case_twin_is_refused(bolt, clerk):
    with pytest.raises(Exception, match="ignoring letter case"):
        item_create(sku="BOLT-10 ".lower(), name="Twin", uom=bolt.uom, user=clerk)


# --- Moves only a document posts -------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("reason", "locations"),
    [
        ("production_output", {"to_location": "a1"}),
        ("production_consumption", {"from_location": "a1"}),
        ("shipment", {"from_location": "a1"}),
    ],
)
def test_a_document_move_posted_bare_is_a_400_on_reason(acme_api, bolt, a1, clerk, reason, locations):
    stock_receive(item=bolt, location=a1, quantity=5, user=clerk)
    payload = {key: a1.pk for key in locations}
    response = post_move(acme_api, item=bolt.pk, quantity="1", reason=reason, **payload)
    assert response.status_code == 400
    assert "not directly" in response.json()["reason"][0]
    assert StockMove.objects.filter(item=bolt).count() == 1


def test_the_service_refuses_a_bare_shipment_too(bolt, a1, clerk):
    stock_receive(item=bolt, location=a1, quantity=5, user=clerk)
    with pytest.raises(InvalidMove, match="shipping its sales order"):
        stock_move_post(item=bolt, quantity=1, reason="shipment", from_location=a1, user=clerk)


# --- The other doors: CSV import and Django admin -------------------------------------------------------------------
def _import(text: str):
    from inventory.models import ItemImport
    from inventory.services import item_import_run

    job = ItemImport.objects.create(file_name="items.csv", content=text, total_rows=text.count("\n") - 1)
    return item_import_run(job_id=job.pk)


def test_an_import_row_with_an_unbounded_or_unicode_lead_time_is_reported_not_saved(in_acme):
    job = _import(f"sku,name,uom,lead_time_days\nSLOW-1,Slow,pcs,1000000\nSLOW-2,Slow,pcs,{ARABIC_12}\n")
    assert [error["sku"] for error in job.errors] == ["SLOW-1", "SLOW-2"]
    assert "3650" in job.errors[0]["reason"]
    assert not Item.objects.filter(sku__startswith="SLOW").exists()


def test_an_import_row_matches_its_item_whatever_the_sku_case(bolt):
    job = _import("sku,name\nbolt-10,Bolt renamed\n")
    assert (job.created_count, job.updated_count, job.errors) == (0, 1, [])
    assert Item.objects.get(pk=bolt.pk).name == "Bolt renamed"


def test_the_admin_refuses_a_lead_time_of_a_million_days(acme_api, in_acme):
    from inventory.models import UnitOfMeasure

    response = acme_api.post(
        "/admin/inventory/item/add/",
        {
            "sku": "ADM-SLOW",
            "name": "Admin item",
            "uom": UnitOfMeasure.objects.get(code="pcs").pk,
            "kind": "component",
            "reorder_point": "0",
            "reorder_quantity": "0",
            "lead_time_days": "1000000",
            "standard_cost": "0",
            "is_active": "on",
            "attributes": "{}",
        },
    )
    assert response.status_code == 200
    assert "at most 3650 days" in response.content.decode()
    assert not Item.objects.filter(sku="ADM-SLOW").exists()


def test_the_sku_migration_stops_on_case_twins_with_a_line_naming_them(acme):
    import importlib
    from types import SimpleNamespace

    from django.apps import apps
    from django.db import connection
    from django_tenants.utils import schema_context

    migration = importlib.import_module("inventory.migrations.0006_item_sku_unique_ci")
    with schema_context(acme.schema_name):  # the owner: a migration's role
        with connection.cursor() as cursor:
            cursor.execute("DROP INDEX inventory_item_sku_unique_ci")  # as before the migration (rolled back)
        ItemFactory(sku="GEAR-1")
        ItemFactory(sku="gear-1")
        editor = SimpleNamespace(connection=connection)
        with pytest.raises(RuntimeError, match=f"schema {acme.schema_name}: .* gear-1"):
            migration.refuse_case_twins(apps, editor)
