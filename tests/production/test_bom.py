"""BOM rules: every bad input is refused with a message naming the problem, and nothing is written."""

from decimal import Decimal

import pytest

from production.models import Bom, BomLine, ProductionEvent
from production.services import BomCycle, InvalidBom, bom_create, bom_update

D = Decimal


@pytest.fixture
def nothing_written():
    """Asserts, after the block, that no BOM, line or audit row was added or removed."""

    class Snapshot:
        def __enter__(self):
            self.counts = self.take()

        def __exit__(self, *exc):
            assert self.take() == self.counts

        @staticmethod
        def take():
            return (Bom.objects.count(), BomLine.objects.count(), ProductionEvent.objects.count())

    return Snapshot


def test_bom_create_stores_lines_in_order_and_an_audit_row(item, make_bom, planner):
    bike, frame, wheel = item("BIKE"), item("FRAME"), item("WHEEL")
    bom = make_bom(bike, (frame, 1), (wheel, 2, "5"))
    assert [(line.component.sku, line.quantity, line.scrap_percent) for line in bom.lines.all()] == [
        ("FRAME", D(1), D(0)),
        ("WHEEL", D(2), D(5)),
    ]
    event = ProductionEvent.objects.get(bom_id=bom.pk)
    assert (event.action, event.created_by) == ("bom_created", planner)


def test_direct_cycle_is_refused_naming_the_path(item, make_bom, nothing_written):
    a, b = item("A"), item("B")
    make_bom(a, (b, 1))
    with nothing_written(), pytest.raises(BomCycle, match=r"cycle: B -> A -> B"):
        make_bom(b, (a, 1))


def test_deep_cycle_is_refused_naming_the_whole_path(item, make_bom, nothing_written):
    a, b, c, d = item("A"), item("B"), item("C"), item("D")
    make_bom(a, (b, 1))
    make_bom(b, (c, 1))
    make_bom(c, (d, 1))
    with nothing_written(), pytest.raises(BomCycle, match=r"cycle: D -> A -> B -> C -> D"):
        make_bom(d, (a, 2))


def test_replacing_lines_with_a_cycle_is_refused_and_the_old_lines_stay(item, make_bom, planner, nothing_written):
    a, b, c = item("A"), item("B"), item("C")
    make_bom(a, (b, 1))
    bom_b = make_bom(b, (c, 1))
    with nothing_written(), pytest.raises(BomCycle, match=r"cycle: B -> A -> B"):
        bom_update(bom=bom_b, lines=[{"component": a, "quantity": 1}], user=planner)
    assert list(bom_b.lines.values_list("component__sku", flat=True)) == ["C"]


def test_activating_an_inactive_bom_that_closes_a_cycle_is_refused(item, make_bom, planner, nothing_written):
    a, b = item("A"), item("B")
    inactive = bom_create(item=b, lines=[{"component": a, "quantity": 1}], is_active=False, user=planner)
    make_bom(a, (b, 1))  # fine: B's only BOM is inactive
    with nothing_written(), pytest.raises(BomCycle, match="cycle: B -> A -> B"):
        bom_update(bom=inactive, is_active=True, user=planner)


def test_a_line_with_the_boms_own_item_is_refused(item, make_bom, nothing_written):
    a = item("A")
    with nothing_written(), pytest.raises(InvalidBom, match="line 1: A is the BOM's own item"):
        make_bom(a, (a, 1))


@pytest.mark.parametrize("quantity", ["0", "-1", "0.00001", "abc", ""])
def test_a_line_quantity_that_is_not_positive_is_refused(item, planner, quantity, nothing_written):
    a, b = item("A"), item("B")
    with nothing_written(), pytest.raises(InvalidBom, match=r"line 1 \(B\): quantity"):
        bom_create(item=a, lines=[{"component": b, "quantity": quantity}], user=planner)


@pytest.mark.parametrize("scrap", ["-1", "100.01", "5.555", "x"])
def test_a_scrap_percentage_outside_0_to_100_is_refused(item, planner, scrap, nothing_written):
    a, b = item("A"), item("B")
    with nothing_written(), pytest.raises(InvalidBom, match="scrap percentage"):
        bom_create(item=a, lines=[{"component": b, "quantity": 1, "scrap_percent": scrap}], user=planner)


def test_an_inactive_component_is_refused(item, make_bom, nothing_written):
    a, b = item("A"), item("B", is_active=False)
    with nothing_written(), pytest.raises(InvalidBom, match="component B is inactive"):
        make_bom(a, (b, 1))


def test_an_inactive_item_gets_no_bom(item, make_bom, nothing_written):
    a, b = item("A", is_active=False), item("B")
    with nothing_written(), pytest.raises(InvalidBom, match="item A is inactive"):
        make_bom(a, (b, 1))


def test_a_component_listed_twice_is_refused(item, make_bom, nothing_written):
    a, b = item("A"), item("B")
    with nothing_written(), pytest.raises(InvalidBom, match="line 2: B is already on line 1"):
        make_bom(a, (b, 1), (b, 2))


def test_a_bom_without_lines_is_refused(item, planner, nothing_written):
    with nothing_written(), pytest.raises(InvalidBom, match="at least one line"):
        bom_create(item=item("A"), lines=[], user=planner)


def test_a_duplicate_version_is_refused(item, make_bom, nothing_written):
    a, b = item("A"), item("B")
    make_bom(a, (b, 1), version="1")
    with nothing_written(), pytest.raises(InvalidBom, match="already has a BOM version '1'"):
        make_bom(a, (b, 2), version="1")


def test_a_new_active_version_deactivates_the_previous_one(item, make_bom):
    a, b = item("A"), item("B")
    first = make_bom(a, (b, 1), version="1")
    second = make_bom(a, (b, 2), version="2")
    first.refresh_from_db()
    assert (first.is_active, second.is_active) == (False, True)


def test_the_database_refuses_two_active_boms_for_one_item(item, make_bom):
    from django.db import IntegrityError, transaction

    a, b = item("A"), item("B")
    make_bom(a, (b, 1), version="1")
    with pytest.raises(IntegrityError), transaction.atomic():
        Bom.objects.create(item=a, version="2", is_active=True)
