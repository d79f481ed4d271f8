"""Production counts in each item's stock unit, with its precision: no half pieces on BOMs or work orders, and a
requirement that does not come out whole is rounded up to what the unit counts."""

import datetime
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django_tenants.utils import tenant_context

from inventory.models import StockLevel, UnitOfMeasure
from inventory.services import InvalidQuantity, InventoryError, item_update, stock_receive
from production.models import Bom, WorkOrder, WorkOrderComponent
from production.services import (
    InvalidBom,
    work_order_complete,
    work_order_create,
    work_order_release,
    work_order_start,
)

D = Decimal
DUE = datetime.date(2027, 1, 31)


def test_half_a_piece_on_a_bom_line_is_refused(item, make_bom):
    pump, housing = item("PUMP"), item("HOUSING")
    with pytest.raises(InvalidBom, match=r"line 1 \(HOUSING\): item HOUSING: quantity 0\.5 is not a whole number"):
        make_bom(pump, (housing, "0.5"))
    assert not Bom.objects.exists()


def test_a_bom_line_in_kilograms_takes_three_decimals(item, make_bom):
    pump, grease = item("PUMP"), item("GREASE", uom=UnitOfMeasure.objects.get(code="kg"))
    bom = make_bom(pump, (grease, "0.125"))
    assert bom.lines.get().quantity == D("0.125")


def test_half_a_work_order_of_pieces_is_refused(item, make_bom, planner):
    pump, housing = item("PUMP"), item("HOUSING")
    make_bom(pump, (housing, 2))
    with pytest.raises(InvalidQuantity, match=r"item PUMP: quantity 2\.5 is not a whole number of pcs") as refused:
        work_order_create(item=pump, quantity="2.5", due_date=DUE, user=planner)
    assert refused.value.field == "quantity"
    assert not WorkOrder.objects.exists()


def test_reporting_half_a_piece_finished_is_refused(item, make_bom, planner, receiving):
    pump, housing = item("PUMP"), item("HOUSING")
    make_bom(pump, (housing, 2))
    stock_receive(item=housing, location=receiving, quantity=20, user=planner)
    order = work_order_release(
        work_order=work_order_create(item=pump, quantity=10, due_date=DUE, user=planner), user=planner
    )
    work_order_start(work_order=order, user=planner)
    with pytest.raises(InvalidQuantity, match=r"quantity 1\.5 is not a whole number of pcs"):
        work_order_complete(work_order=order, quantity="1.5", user=planner)
    order.refresh_from_db()
    assert order.completed_quantity == 0


def test_a_requirement_with_scrap_is_rounded_up_to_whole_pieces(item, make_bom, planner, receiving):
    pump, gasket = item("PUMP"), item("GASKET")
    make_bom(pump, (gasket, 1, 5))  # 3 pumps x 1 x 1.05 = 3.15 gaskets: 4 are taken
    stock_receive(item=gasket, location=receiving, quantity=10, user=planner)
    order = work_order_create(item=pump, quantity=3, due_date=DUE, user=planner)
    work_order_release(work_order=order, user=planner)
    assert WorkOrderComponent.objects.get().required_quantity == D(4)
    assert StockLevel.objects.get(item=gasket).reserved == D(4)


def test_a_partial_completion_consumes_whole_pieces(item, make_bom, planner, receiving):
    pump, housing = item("PUMP"), item("HOUSING")
    make_bom(pump, (housing, 1, 10))  # 10 pumps need 11 housings
    stock_receive(item=housing, location=receiving, quantity=11, user=planner)
    order = work_order_release(
        work_order=work_order_create(item=pump, quantity=10, due_date=DUE, user=planner), user=planner
    )
    work_order_start(work_order=order, user=planner)
    work_order_complete(work_order=order, quantity=3, user=planner)  # 3.3 housings pro rata: 3 consumed
    component = WorkOrderComponent.objects.get()
    assert (component.consumed_quantity, component.reserved_quantity) == (D(3), D(8))
    work_order_complete(work_order=order, user=planner)
    component.refresh_from_db()
    assert (component.consumed_quantity, component.reserved_quantity) == (D(11), D(0))


def test_half_a_piece_on_the_work_order_form_is_an_error_on_its_field(acme, acme_client, item, make_bom):
    pump, housing = item("PUMP"), item("HOUSING")
    make_bom(pump, (housing, 1))
    with tenant_context(acme):
        acme_client.force_login(get_user_model().objects.get(username="boss"))
    response = acme_client.post(
        "/production/work-orders/new/", {"item": "PUMP", "quantity": "0.5", "due_date": DUE.isoformat()}
    )
    assert response.status_code == 400
    assert "not a whole number of pcs" in response.context["form"].errors["quantity"][0]
    assert not WorkOrder.objects.exists()


def test_the_stock_unit_of_a_component_on_a_bom_cannot_change(item, make_bom):
    pump, housing = item("PUMP"), item("HOUSING")
    make_bom(pump, (housing, 2))
    with pytest.raises(InventoryError, match="HOUSING already has bom lines counted in pcs"):
        item_update(item=housing, uom=UnitOfMeasure.objects.get(code="kg"), user=None)
