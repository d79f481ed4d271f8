"""Units of measure that mean something: each unit's precision on every surface, item conversions (exact, round
trip), and a stock unit that cannot change under an item's history."""

import importlib
from decimal import Decimal
from types import SimpleNamespace

import pytest
from django_tenants.utils import tenant_context

from inventory.models import Item, ItemUnitConversion, StockLevel, StockMove, UnitOfMeasure
from inventory.services import (
    InvalidQuantity,
    InventoryError,
    conversion_create,
    conversion_update,
    from_stock_quantity,
    item_update,
    stock_adjust,
    stock_issue,
    stock_receive,
    stock_reserve,
    to_stock_quantity,
    unit_create,
    unit_update,
)
from tests.inventory.factories import ItemFactory, UnitFactory
from tests.inventory.test_import import run

D = Decimal


@pytest.fixture
def kg(in_acme):
    return UnitOfMeasure.objects.get(code="kg")


@pytest.fixture
def box(in_acme):
    return unit_create(code="box", name="Box", decimals=2, user=None)


@pytest.fixture
def boxed_bolt(bolt, box):
    """BOLT-10 (pcs) is bought in boxes of 12."""
    conversion_create(item=bolt, uom=box, factor="12", user=None)
    return bolt


# --- Precision --------------------------------------------------------------------------------------------------------
def test_every_tenant_counts_pieces_whole_and_measures_to_three_decimals(in_acme):
    decimals = dict(UnitOfMeasure.objects.values_list("code", "decimals"))
    assert (decimals["pcs"], decimals["kg"], decimals["m"], decimals["l"]) == (0, 3, 3, 3)


def test_half_a_piece_is_refused_by_the_receive_service(bolt, a1):
    with pytest.raises(InvalidQuantity, match=r"0\.5 is not a whole number of pcs") as refused:
        stock_receive(item=bolt, location=a1, quantity="0.5", user=None)
    assert refused.value.field == "quantity"
    assert not StockMove.objects.exists()


def test_a_fraction_of_a_piece_is_refused_by_issue_reserve_and_count(bolt, a1):
    stock_receive(item=bolt, location=a1, quantity=5, user=None)
    for call in (
        lambda: stock_issue(item=bolt, location=a1, quantity="1.5", user=None),
        lambda: stock_reserve(item=bolt, location=a1, quantity="0.25", user=None),
        lambda: stock_adjust(item=bolt, location=a1, counted_quantity="4.5", user=None),
    ):
        with pytest.raises(InvalidQuantity, match="not a whole number of pcs"):
            call()
    assert StockLevel.objects.values_list("on_hand", "reserved").get() == (D(5), D(0))


def test_kilograms_take_three_decimals_and_refuse_a_fourth(kg, a1):
    flour = ItemFactory(sku="FLOUR", uom=kg)
    stock_receive(item=flour, location=a1, quantity="1.125", user=None)
    with pytest.raises(InvalidQuantity, match=r"1.1255 kg has more than 3 decimal places"):
        stock_receive(item=flour, location=a1, quantity="1.1255", user=None)
    assert StockLevel.objects.get(item=flour).on_hand == D("1.125")


def test_half_a_piece_is_a_400_on_the_quantity_field_of_the_api(acme_api, bolt, a1):
    response = acme_api.post(
        "/api/v1/moves/",
        {"item": bolt.pk, "quantity": "0.5", "reason": "receipt", "to_location": a1.pk},
        content_type="application/json",
    )
    assert response.status_code == 400
    assert "not a whole number of pcs" in response.json()["quantity"][0]
    assert not StockMove.objects.exists()


def test_half_a_piece_is_an_error_on_the_quantity_field_of_the_receive_form(acme_api, bolt, a1):
    response = acme_api.post("/inventory/stock/receive/", {"item": "BOLT-10", "location": a1.pk, "quantity": "0.5"})
    assert response.status_code == 400
    assert "not a whole number of pcs" in response.context["form"].errors["quantity"][0]
    assert not StockMove.objects.exists()


def test_a_csv_row_with_half_a_piece_is_reported_and_the_others_kept(in_acme):
    job = run("sku,name,uom,reorder_point\nBOLT-10,Bolt,pcs,0.5\nOIL-1,Oil,l,0.5\n")
    assert [(error["line"], error["sku"]) for error in job.errors] == [(2, "BOLT-10")]
    assert "reorder_point 0.5 is not a whole number of pcs" in job.errors[0]["reason"]
    assert list(Item.objects.values_list("sku", flat=True)) == ["OIL-1"]


def test_a_unit_cannot_have_more_decimals_than_quantities_are_stored_with(acme_api, in_acme):
    response = acme_api.post(
        "/api/v1/units/", {"code": "mg", "name": "Milligram", "decimals": 5}, content_type="application/json"
    )
    assert response.status_code == 400
    assert "decimals" in response.json()
    assert not UnitOfMeasure.objects.filter(code="mg").exists()


def test_a_unit_is_created_with_its_precision_through_the_api(acme_api, in_acme):
    response = acme_api.post(
        "/api/v1/units/", {"code": "pair", "name": "Pair", "decimals": 0}, content_type="application/json"
    )
    assert response.status_code == 201, response.json()
    assert UnitOfMeasure.objects.get(code="pair").decimals == 0


# --- Conversions ------------------------------------------------------------------------------------------------------
def test_boxes_convert_to_pieces_and_back_exactly(boxed_bolt, box):
    for boxes, pieces in ((D(12), D(144)), (D("0.5"), D(6)), (D("2.25"), D(27))):
        assert to_stock_quantity(boxed_bolt, boxes, box) == pieces
        assert from_stock_quantity(boxed_bolt, pieces, box) == boxes


def test_metres_convert_to_rolls_and_back_exactly(in_acme):
    roll = unit_create(code="roll", name="Roll", decimals=4, user=None)
    metre = UnitOfMeasure.objects.get(code="m")
    cable = ItemFactory(sku="CABLE", uom=roll)
    conversion_create(item=cable, uom=metre, factor="0.02", user=None)  # a roll holds 50 m
    assert to_stock_quantity(cable, D("12.5"), metre) == D("0.25")
    assert from_stock_quantity(cable, D("0.25"), metre) == D("12.5")


def test_a_conversion_that_yields_a_fraction_of_a_piece_is_refused(boxed_bolt, box):
    with pytest.raises(InvalidQuantity, match=r"0.01 box is 0.12 pcs, and 0.12 is not a whole number of pcs"):
        to_stock_quantity(boxed_bolt, D("0.01"), box)


def test_a_unit_the_item_does_not_convert_to_is_refused(bolt, kg):
    with pytest.raises(InvalidQuantity, match="BOLT-10 is not counted in kg") as refused:
        to_stock_quantity(bolt, D(1), kg)
    assert refused.value.field == "uom"


def test_a_conversion_to_the_stock_unit_itself_is_refused(bolt):
    with pytest.raises(InventoryError, match="pcs is the stock unit of item BOLT-10"):
        conversion_create(item=bolt, uom=bolt.uom, factor=1, user=None)


def test_a_second_conversion_to_the_same_unit_is_refused(boxed_bolt, box):
    with pytest.raises(InventoryError, match="already converts to box") as refused:
        conversion_create(item=boxed_bolt, uom=box, factor=10, user=None)
    assert refused.value.field == "uom"
    assert ItemUnitConversion.objects.get().factor == D(12)


@pytest.mark.parametrize("factor", ["0", "-12", "abc", "1e3", "0.00000000001"])
def test_a_factor_that_is_not_a_positive_exact_number_is_refused(bolt, box, factor):
    with pytest.raises(InventoryError) as refused:
        conversion_create(item=bolt, uom=box, factor=factor, user=None)
    assert refused.value.field == "factor"
    assert not ItemUnitConversion.objects.exists()


def test_a_changed_factor_is_used_from_then_on(boxed_bolt, box):
    conversion_update(conversion=ItemUnitConversion.objects.get(), factor="10", user=None)
    assert to_stock_quantity(boxed_bolt, D(3), box) == D(30)


def test_conversions_are_created_and_listed_through_the_api(acme_api, bolt, box):
    response = acme_api.post(
        "/api/v1/conversions/", {"item": bolt.pk, "uom": box.pk, "factor": "12"}, content_type="application/json"
    )
    assert response.status_code == 201, response.json()
    rows = acme_api.get("/api/v1/conversions/", {"item": bolt.pk}).json()["results"]
    assert [(row["uom_code"], row["factor"], row["stock_uom"]) for row in rows] == [("box", "12.0000000000", "pcs")]


def test_a_duplicate_conversion_is_a_400_on_the_uom_field(acme_api, boxed_bolt, box):
    response = acme_api.post(
        "/api/v1/conversions/", {"item": boxed_bolt.pk, "uom": box.pk, "factor": "6"}, content_type="application/json"
    )
    assert response.status_code == 400
    assert "already converts to box" in response.json()["uom"][0]


def test_another_tenants_unit_id_is_refused_for_a_conversion(acme, globex, acme_api):
    with tenant_context(globex):
        foreign = UnitFactory(code="crate", name="Crate")
    with tenant_context(acme):
        if UnitOfMeasure.objects.filter(pk=foreign.pk).exists():
            pytest.skip("the ids coincide in the two schemas")
        item = ItemFactory(sku="ACME-1")
    response = acme_api.post(
        "/api/v1/conversions/", {"item": item.pk, "uom": foreign.pk, "factor": "6"}, content_type="application/json"
    )
    assert response.status_code == 400
    assert "uom" in response.json()
    with tenant_context(acme):
        assert not ItemUnitConversion.objects.exists()


def test_another_tenants_conversion_is_not_found(acme, globex, acme_api):
    with tenant_context(globex):
        item = ItemFactory(sku="GLOBEX-1")
        crate = UnitFactory(code="crate", name="Crate")
        conversion = conversion_create(item=item, uom=crate, factor=6, user=None)
    with tenant_context(acme):
        if ItemUnitConversion.objects.filter(pk=conversion.pk).exists():
            pytest.skip("the ids coincide in the two schemas")
    assert acme_api.get(f"/api/v1/conversions/{conversion.pk}/").status_code == 404
    assert acme_api.delete(f"/api/v1/conversions/{conversion.pk}/").status_code == 404
    with tenant_context(globex):
        assert ItemUnitConversion.objects.filter(pk=conversion.pk).exists()


def test_the_item_page_shows_its_unit_precision_and_conversions(acme_api, boxed_bolt):
    page = acme_api.get(f"/inventory/items/{boxed_bolt.pk}/").content.decode()
    assert "pcs (whole units)" in page
    assert "1 box = 12 pcs" in page


def test_conversions_are_listed_in_the_admin(acme_api, boxed_bolt):
    page = acme_api.get("/admin/inventory/itemunitconversion/")
    assert page.status_code == 200
    assert b"BOLT-10" in page.content


# --- The stock unit under history -------------------------------------------------------------------------------------
def test_the_stock_unit_of_an_item_with_stock_moves_cannot_change(bolt, kg, a1):
    stock_receive(item=bolt, location=a1, quantity=10, user=None)
    with pytest.raises(InventoryError, match="its stock unit cannot change to kg") as refused:
        item_update(item=bolt, uom=kg, user=None)
    assert refused.value.field == "uom"
    assert Item.objects.get(pk=bolt.pk).uom.code == "pcs"


def test_the_stock_unit_of_an_item_with_a_conversion_cannot_change(boxed_bolt, kg):
    with pytest.raises(InventoryError, match="unit conversions counted in pcs"):
        item_update(item=boxed_bolt, uom=kg, user=None)


def test_the_stock_unit_of_an_item_without_history_can_change(bolt, kg):
    item_update(item=bolt, uom=kg, user=None)
    assert Item.objects.get(pk=bolt.pk).uom.code == "kg"


def test_a_stock_unit_change_under_history_is_a_400_on_the_uom_field(acme_api, bolt, a1):
    stock_receive(item=bolt, location=a1, quantity=10, user=None)
    response = acme_api.patch(f"/api/v1/items/{bolt.pk}/", {"uom": "kg"}, content_type="application/json")
    assert response.status_code == 400
    assert "stock unit cannot change" in response.json()["uom"][0]
    assert Item.objects.get(pk=bolt.pk).uom.code == "pcs"


def test_a_stock_unit_change_under_history_is_an_error_on_the_admin_form(acme_api, bolt, kg, a1):
    stock_receive(item=bolt, location=a1, quantity=10, user=None)
    data = {
        "sku": bolt.sku,
        "name": bolt.name,
        "description": "",
        "uom": kg.pk,
        "kind": bolt.kind,
        "reorder_point": "0",
        "reorder_quantity": "0",
        "lead_time_days": "0",
        "standard_cost": "1.25",
        "is_active": "on",
        "attributes": "{}",
        "tracking": "none",
        "procurement": "buy",
        "lot_sizing": "lot_for_lot",
        "lot_quantity": "0",
        "lot_minimum": "0",
        "lot_multiple": "0",
        "lot_period_days": "0",
        "safety_stock": "0",
    }
    response = acme_api.post(f"/admin/inventory/item/{bolt.pk}/change/", data)
    assert response.status_code == 200
    assert "stock unit cannot change" in str(response.context["adminform"].form.errors["uom"])
    assert Item.objects.get(pk=bolt.pk).uom.code == "pcs"


def test_changing_the_unit_refuses_reorder_quantities_the_new_unit_cannot_count(kg, in_acme):
    flour = ItemFactory(sku="FLOUR", uom=kg, reorder_point=D("2.5"))
    with pytest.raises(InvalidQuantity, match=r"reorder_point 2\.5 is not a whole number of pcs"):
        item_update(item=flour, uom=UnitOfMeasure.objects.get(code="pcs"), user=None)


def test_a_unit_cannot_count_more_coarsely_than_the_stock_recorded_in_it(oil, a1):
    stock_receive(item=oil, location=a1, quantity="2.25", user=None)
    litre = UnitOfMeasure.objects.get(code="l")
    with pytest.raises(InventoryError, match="already has quantities with 2 decimal places; l needs at least 2"):
        unit_update(unit=litre, decimals=1, user=None)
    unit_update(unit=litre, decimals=2, user=None)
    assert UnitOfMeasure.objects.get(code="l").decimals == 2


def test_the_migration_keeps_a_unit_fine_enough_for_the_stock_already_in_it(bolt, a1):
    from django.apps import apps
    from django.db import connection

    set_decimals = importlib.import_module("inventory.migrations.0011_unit_decimals_defaults").set_decimals
    UnitOfMeasure.objects.filter(code="pcs").update(decimals=4)  # as before the migration
    bolt.uom.refresh_from_db()
    stock_receive(item=bolt, location=a1, quantity="2.5", user=None)
    UnitOfMeasure.objects.filter(code__in=["kg", "m"]).update(decimals=4)
    set_decimals(apps, SimpleNamespace(connection=connection))
    decimals = dict(UnitOfMeasure.objects.values_list("code", "decimals"))
    assert (decimals["pcs"], decimals["kg"], decimals["m"]) == (1, 3, 3)
