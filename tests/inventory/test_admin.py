"""Django admin for inventory: every model is there, stock moves and levels are read-only."""

import pytest

from inventory.models import Item, StockMove
from inventory.services import stock_receive
from tests.inventory.factories import ItemFactory, LocationFactory


@pytest.mark.parametrize(
    "model", ["unitofmeasure", "item", "location", "stocklevel", "stockmove", "reservationentry", "itemimport"]
)
def test_every_inventory_model_has_an_admin_list(acme_api, in_acme, model):
    assert acme_api.get(f"/admin/inventory/{model}/").status_code == 200


def test_stock_moves_cannot_be_added_changed_or_deleted_in_the_admin(acme_api, in_acme):
    move = stock_receive(item=ItemFactory(), location=LocationFactory(), quantity=2, user=None)
    assert acme_api.get("/admin/inventory/stockmove/add/").status_code == 403
    assert acme_api.post(f"/admin/inventory/stockmove/{move.pk}/delete/", {"post": "yes"}).status_code == 403
    page = acme_api.get(f"/admin/inventory/stockmove/{move.pk}/change/")
    assert page.status_code == 200
    assert b'name="quantity"' not in page.content
    assert StockMove.objects.get().quantity == 2


def test_admin_action_reverses_the_selected_moves(acme_api, in_acme):
    move = stock_receive(item=ItemFactory(), location=LocationFactory(), quantity=2, user=None)
    acme_api.post("/admin/inventory/stockmove/", {"action": "reverse_moves", "_selected_action": [move.pk]})
    assert StockMove.objects.filter(reverses=move).exists()


def test_items_added_in_the_admin_go_through_the_service(acme_api, in_acme):
    from inventory.models import UnitOfMeasure

    response = acme_api.post(
        "/admin/inventory/item/add/",
        {
            "sku": "ADM-1",
            "name": "Admin item",
            "uom": UnitOfMeasure.objects.get(code="pcs").pk,
            "kind": "component",
            "reorder_point": "0",
            "reorder_quantity": "0",
            "lead_time_days": "0",
            "standard_cost": "0",
            "is_active": "on",
            "attributes": "{}",
            "tracking": "none",
            # planning fields, as the form renders them (their defaults)
            "procurement": "buy",
            "lot_sizing": "lot_for_lot",
            "lot_quantity": "0",
            "lot_minimum": "0",
            "lot_multiple": "0",
            "lot_period_days": "0",
            "safety_stock": "0",
        },
    )
    assert response.status_code == 302, response.content[:2000]
    assert Item.objects.filter(sku="ADM-1").exists()
