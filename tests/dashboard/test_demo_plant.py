"""The demo plant seed_demo writes into each demo tenant: believable, the same every time, written once."""

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django_tenants.utils import tenant_context

from inventory.models import Item, StockMove
from orders.models import PurchaseOrder, SalesOrder
from planning.models import MrpRun, PlannedOrder
from production.models import BomLine, WorkOrder

TABLES = (Item, StockMove, BomLine, SalesOrder, PurchaseOrder, WorkOrder, MrpRun, PlannedOrder)


def counts() -> dict[str, int]:
    return {model.__name__: model.objects.count() for model in TABLES}


@pytest.fixture
def seeded(db, acme, globex, settings):
    settings.DEBUG = True
    call_command("seed_demo")
    connection.set_schema_to_public()
    return acme


def test_seed_demo_refuses_with_debug_off_unless_forced(db, settings):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="refuses"):
        call_command("seed_demo")


def test_a_second_seed_changes_nothing(seeded, globex):
    with tenant_context(seeded):
        first = counts()
    call_command("seed_demo")
    with tenant_context(seeded):
        assert counts() == first
    assert first["Item"] >= 90


def test_each_demo_tenant_gets_the_same_plant_in_its_own_schema(seeded, globex):
    with tenant_context(seeded):
        acme_counts, acme_skus = counts(), set(Item.objects.values_list("sku", flat=True))
    with tenant_context(globex):
        assert set(Item.objects.values_list("sku", flat=True)) == acme_skus
        assert counts()["Item"] == acme_counts["Item"]
        Item.objects.filter(sku="FG-100").update(name="Globex pump")
    with tenant_context(seeded):
        assert Item.objects.get(sku="FG-100").name == "Pump P-100"


def test_the_plant_has_items_on_three_levels(seeded):
    with tenant_context(seeded):
        assert set(Item.objects.values_list("low_level_code", flat=True)) >= {0, 1, 2}
        assert Item.objects.filter(tracking=Item.Tracking.LOT).count() >= 2
        assert Item.objects.filter(tracking=Item.Tracking.SERIAL, kind=Item.Kind.FINISHED_GOOD).count() == 1


def test_the_plant_has_open_late_sales_and_purchase_orders(seeded):
    from django.utils import timezone

    today = timezone.localdate()
    with tenant_context(seeded):
        late_sales = SalesOrder.objects.filter(status="confirmed", lines__promised_date__lt=today).distinct()
        late_purchases = PurchaseOrder.objects.filter(status="sent", lines__expected_date__lt=today).distinct()
        assert late_sales.count() >= 2
        assert late_purchases.count() >= 2


def test_the_plant_has_work_orders_in_every_state(seeded):
    with tenant_context(seeded):
        states = set(WorkOrder.objects.values_list("state", flat=True))
    assert states == set(WorkOrder.State.values)


def test_the_plant_has_a_finished_mrp_run_with_planned_orders(seeded):
    with tenant_context(seeded):
        run = MrpRun.objects.get()
        assert run.status == MrpRun.Status.DONE
        assert PlannedOrder.objects.filter(run=run).exists()


def test_the_plant_has_stock_history(seeded):
    with tenant_context(seeded):
        assert StockMove.objects.count() >= 150
        assert StockMove.objects.filter(reference__contains="day -").exists()


def test_every_bought_item_has_one_preferred_supplier_price(seeded):
    from orders.models import SupplierItem

    with tenant_context(seeded):
        bought = set(Item.objects.filter(procurement=Item.Procurement.BUY).values_list("pk", flat=True))
        preferred = list(SupplierItem.objects.filter(is_preferred=True).values_list("item_id", flat=True))
        assert bought and set(preferred) == bought and len(preferred) == len(bought)
        assert SupplierItem.objects.filter(supplier__is_supplier=True).count() == 2 * len(bought)
    call_command("seed_demo")
    with tenant_context(seeded):
        assert SupplierItem.objects.count() == 2 * len(bought)  # the second seed adds no prices


def test_the_demo_runs_planned_buys_convert_to_purchase_orders(seeded):
    from django.contrib.auth import get_user_model

    from planning.services import planned_orders_convert

    with tenant_context(seeded):
        buys = list(PlannedOrder.objects.filter(kind=PlannedOrder.Kind.BUY, status=PlannedOrder.Status.PLANNED))
        assert buys
        user = get_user_model().objects.order_by("pk").first()
        conversion = planned_orders_convert(planned_orders=buys, user=user)
        assert conversion.purchase_orders
        assert sum(order.lines.count() for order in conversion.purchase_orders) == len(buys)
