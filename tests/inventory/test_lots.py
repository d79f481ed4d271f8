"""Lots and serial numbers on the stock services: receipts name lots, issues take them FEFO or as picked."""

import datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from core.errors import DomainError
from inventory import services
from inventory.models import Item, Lot, LotLevel, StockLevel, StockMove, StockMoveLot
from tests.inventory.factories import ItemFactory

D = Decimal


@pytest.fixture
def resin(in_acme):
    return ItemFactory(sku="RESIN", name="Resin", tracking=Item.Tracking.LOT)


@pytest.fixture
def board(in_acme):
    return ItemFactory(sku="BOARD", name="Board", tracking=Item.Tracking.SERIAL)


def lot_levels(item, location) -> dict[str, Decimal]:
    return {
        level.lot.code: level.on_hand
        for level in LotLevel.objects.filter(lot__item=item, location=location).select_related("lot")
    }


def receive_three_lots(resin, a1, clerk):
    """5 each of L-LATE (expires 2027-06-01), L-EARLY (2027-01-01) and L-NONE (no expiry), received in that order."""
    for code, expiry in (
        ("L-LATE", datetime.date(2027, 6, 1)),
        ("L-EARLY", datetime.date(2027, 1, 1)),
        ("L-NONE", None),
    ):
        services.stock_receive(
            item=resin, location=a1, quantity=5, user=clerk, lots=[{"code": code, "expiry_date": expiry}]
        )


def test_receipt_of_a_lot_item_without_a_lot_is_refused(resin, a1, clerk):
    with pytest.raises(DomainError, match="tracked by lot") as refused:
        services.stock_receive(item=resin, location=a1, quantity=5, user=clerk)
    assert refused.value.field == "lots"
    assert not StockMove.objects.filter(item=resin).exists()


def test_receipt_creates_the_lot_with_supplier_lot_and_expiry(resin, a1, clerk):
    move = services.stock_receive(
        item=resin, location=a1, quantity=8, user=clerk,
        lots=[{"code": "R-1", "supplier_lot": "SUP-77", "expiry_date": "2027-03-01"}],
    )  # fmt: skip
    lot = Lot.objects.get(item=resin, code="R-1")
    assert (lot.supplier_lot, lot.expiry_date, lot.created_by_move_id) == ("SUP-77", datetime.date(2027, 3, 1), move.pk)
    assert lot_levels(resin, a1) == {"R-1": D(8)}
    assert list(StockMoveLot.objects.filter(move=move).values_list("lot__code", "quantity")) == [("R-1", D(8))]


def test_lots_of_a_receipt_must_add_up_to_its_quantity(resin, a1, clerk):
    with pytest.raises(DomainError, match="add up to 7; the move is 8") as refused:
        services.stock_receive(
            item=resin, location=a1, quantity=8, user=clerk,
            lots=[{"code": "A", "quantity": 3}, {"code": "B", "quantity": 4}],
        )  # fmt: skip
    assert refused.value.field == "lots"


def test_serial_count_must_equal_the_quantity(board, a1, clerk):
    with pytest.raises(DomainError, match="need 3 serial number") as refused:
        services.stock_receive(item=board, location=a1, quantity=3, user=clerk, lots=["SN-1", "SN-2"])
    assert refused.value.field == "lots"
    assert not Lot.objects.filter(item=board).exists()


def test_a_serial_item_moves_in_whole_units(board, a1, clerk):
    services.stock_receive(item=board, location=a1, quantity=2, user=clerk, lots=["SN-1", "SN-2"])
    with pytest.raises(DomainError, match=r"whole (units|number)") as refused:
        services.stock_issue(item=board, location=a1, quantity="1.5", user=clerk)
    assert refused.value.field == "quantity"


def test_serials_are_lots_of_one(board, a1, clerk):
    services.stock_receive(item=board, location=a1, quantity=2, user=clerk, lots=["SN-1", "SN-2"])
    assert lot_levels(board, a1) == {"SN-1": D(1), "SN-2": D(1)}
    assert set(Lot.objects.filter(item=board).values_list("is_serial", flat=True)) == {True}


def test_a_serial_in_stock_cannot_be_received_again(board, a1, clerk):
    services.stock_receive(item=board, location=a1, quantity=1, user=clerk, lots=["SN-1"])
    with pytest.raises(DomainError, match="SN-1 of BOARD is already in stock"):
        services.stock_receive(item=board, location=a1, quantity=1, user=clerk, lots=["SN-1"])


def test_issue_takes_lots_first_expiry_first_out(resin, a1, clerk):
    receive_three_lots(resin, a1, clerk)
    move = services.stock_issue(item=resin, location=a1, quantity=7, user=clerk)
    # The earliest expiry goes first (all 5), then the next (2); the lot without expiry is untouched.
    assert lot_levels(resin, a1) == {"L-EARLY": D(0), "L-LATE": D(3), "L-NONE": D(5)}
    taken = dict(StockMoveLot.objects.filter(move=move).values_list("lot__code", "quantity"))
    assert taken == {"L-EARLY": D(5), "L-LATE": D(2)}


def test_lots_without_expiry_go_last(resin, a1, clerk):
    receive_three_lots(resin, a1, clerk)
    services.stock_issue(item=resin, location=a1, quantity=12, user=clerk)
    assert lot_levels(resin, a1) == {"L-EARLY": D(0), "L-LATE": D(0), "L-NONE": D(3)}


def test_issue_takes_the_lot_the_user_picked(resin, a1, clerk):
    receive_three_lots(resin, a1, clerk)
    services.stock_issue(item=resin, location=a1, quantity=4, user=clerk, lots=[{"code": "L-NONE"}])
    assert lot_levels(resin, a1) == {"L-EARLY": D(5), "L-LATE": D(5), "L-NONE": D(1)}


def test_a_picked_lot_that_is_short_is_refused_and_nothing_is_written(resin, a1, clerk):
    receive_three_lots(resin, a1, clerk)
    with pytest.raises(DomainError, match="lot L-NONE of RESIN at A1 has 5, 6 asked") as refused:
        services.stock_issue(item=resin, location=a1, quantity=6, user=clerk, lots=[{"code": "L-NONE"}])
    assert refused.value.field == "lots"
    assert StockLevel.objects.get(item=resin, location=a1).on_hand == D(15)
    assert StockMove.objects.filter(item=resin, reason=StockMove.Reason.ISSUE).count() == 0
    assert lot_levels(resin, a1)["L-NONE"] == D(5)


def test_an_unknown_picked_lot_is_refused(resin, a1, clerk):
    receive_three_lots(resin, a1, clerk)
    with pytest.raises(DomainError, match="RESIN has no lot NOPE"):
        services.stock_issue(item=resin, location=a1, quantity=1, user=clerk, lots=["NOPE"])


def test_a_transfer_moves_the_lots_with_the_stock(resin, a1, b2, clerk):
    receive_three_lots(resin, a1, clerk)
    services.stock_transfer(item=resin, from_location=a1, to_location=b2, quantity=6, user=clerk)
    assert lot_levels(resin, b2) == {"L-EARLY": D(5), "L-LATE": D(1)}
    assert lot_levels(resin, a1) == {"L-EARLY": D(0), "L-LATE": D(4), "L-NONE": D(5)}


def test_a_reversal_puts_back_the_lots_it_took(resin, a1, clerk):
    receive_three_lots(resin, a1, clerk)
    issue = services.stock_issue(item=resin, location=a1, quantity=7, user=clerk)
    services.stock_move_reverse(move=issue, user=clerk)
    assert lot_levels(resin, a1) == {"L-EARLY": D(5), "L-LATE": D(5), "L-NONE": D(5)}


def test_a_count_above_on_hand_needs_a_lot_and_below_takes_fefo(resin, a1, clerk):
    receive_three_lots(resin, a1, clerk)
    with pytest.raises(DomainError, match="tracked by lot"):
        services.stock_adjust(item=resin, location=a1, counted_quantity=16, user=clerk)
    services.stock_adjust(item=resin, location=a1, counted_quantity=13, user=clerk)
    assert lot_levels(resin, a1) == {"L-EARLY": D(3), "L-LATE": D(5), "L-NONE": D(5)}


def test_an_untracked_item_refuses_lots(bolt, a1, clerk):
    with pytest.raises(DomainError, match="not tracked") as refused:
        services.stock_receive(item=bolt, location=a1, quantity=1, user=clerk, lots=["X"])
    assert refused.value.field == "lots"


def test_an_untracked_item_posts_as_before(bolt, a1, clerk):
    move = services.stock_receive(item=bolt, location=a1, quantity=3, user=clerk)
    assert not StockMoveLot.objects.filter(move=move).exists()
    assert not Lot.objects.exists()


def test_tracking_cannot_change_while_stock_is_on_hand(bolt, a1, clerk):
    services.stock_receive(item=bolt, location=a1, quantity=3, user=clerk)
    with pytest.raises(DomainError, match="tracking can change only when none is left") as refused:
        services.item_update(item=bolt, user=clerk, tracking=Item.Tracking.LOT)
    assert refused.value.field == "tracking"


def test_lot_allocations_are_immutable(resin, a1, clerk):
    move = services.stock_receive(item=resin, location=a1, quantity=1, user=clerk, lots=["R"])
    row = StockMoveLot.objects.get(move=move)
    with pytest.raises(Exception, match="cannot be changed"):
        row.save()


def test_lot_codes_are_compared_exactly(resin, a1, clerk):
    services.stock_receive(item=resin, location=a1, quantity=2, user=clerk, lots=["ab-1"])
    services.stock_receive(item=resin, location=a1, quantity=3, user=clerk, lots=["AB-1"])
    assert lot_levels(resin, a1) == {"ab-1": D(2), "AB-1": D(3)}
    services.stock_issue(item=resin, location=a1, quantity=3, user=clerk, lots=["AB-1"])
    assert lot_levels(resin, a1) == {"ab-1": D(2), "AB-1": D(0)}


def test_a_fefo_issue_costs_the_same_queries_with_3_or_30_lots_on_hand(resin, a1, clerk):
    def issue_queries(lots: int) -> int:
        for n in range(lots):
            services.stock_receive(item=resin, location=a1, quantity=1, user=clerk, lots=[f"Q{lots}-{n}"])
        with CaptureQueriesContext(connection) as captured:
            services.stock_issue(item=resin, location=a1, quantity=1, user=clerk)
        return len(captured.captured_queries)

    assert issue_queries(3) == issue_queries(30)
