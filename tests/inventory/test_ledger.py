"""Stock moves through the services: arithmetic, reversals, reservations and every refused input."""

from decimal import Decimal

import pytest
from django.db import connection

from inventory.models import ImmutableMoveError, ReservationEntry, StockLevel, StockMove
from inventory.selectors import ledger_balance
from inventory.services import (
    InactiveItem,
    InactiveLocation,
    InsufficientStock,
    InvalidMove,
    InvalidQuantity,
    MoveAlreadyReversed,
    UnknownLocation,
    stock_adjust,
    stock_issue,
    stock_move_post,
    stock_move_reverse,
    stock_receive,
    stock_reserve,
    stock_transfer,
    stock_unreserve,
)
from tests.inventory.factories import ItemFactory, LocationFactory

D = Decimal


def on_hand(item, location) -> Decimal:
    return StockLevel.objects.get(item=item, location=location).on_hand


def test_receipt_adds_to_on_hand_and_records_who_and_when(oil, a1, clerk):
    move = stock_receive(item=oil, location=a1, quantity="10.5", user=clerk, reference="DN-1")
    assert on_hand(oil, a1) == D("10.5")
    assert move.created_by == clerk
    assert move.created_at.tzinfo is not None
    assert (move.reason, move.from_location, move.to_location) == ("receipt", None, a1)


def test_issue_subtracts_from_on_hand(oil, a1, clerk):
    stock_receive(item=oil, location=a1, quantity=10, user=clerk)
    stock_issue(item=oil, location=a1, quantity=D("3.25"), user=clerk)
    assert on_hand(oil, a1) == D("6.75")


def test_transfer_moves_stock_between_locations_and_keeps_the_total(bolt, a1, b2, clerk):
    stock_receive(item=bolt, location=a1, quantity=10, user=clerk)
    stock_transfer(item=bolt, from_location=a1, to_location=b2, quantity=4, user=clerk)
    assert (on_hand(bolt, a1), on_hand(bolt, b2)) == (D(6), D(4))
    assert ledger_balance(item=bolt) == D(10)


def test_levels_always_equal_the_ledger_sum_per_location(bolt, a1, b2, clerk):
    stock_receive(item=bolt, location=a1, quantity=100, user=clerk)
    stock_transfer(item=bolt, from_location=a1, to_location=b2, quantity=30, user=clerk)
    stock_issue(item=bolt, location=b2, quantity=7, user=clerk)
    stock_adjust(item=bolt, location=a1, counted_quantity=65, user=clerk)
    for location in (a1, b2):
        assert on_hand(bolt, location) == ledger_balance(item=bolt, location=location)
    assert (on_hand(bolt, a1), on_hand(bolt, b2)) == (D(65), D(23))


def test_adjust_up_posts_the_difference_into_the_location(bolt, a1, clerk):
    stock_receive(item=bolt, location=a1, quantity=5, user=clerk)
    move = stock_adjust(item=bolt, location=a1, counted_quantity="8", user=clerk)
    assert (move.reason, move.quantity, move.from_location, move.to_location) == ("adjustment", D(3), None, a1)
    assert on_hand(bolt, a1) == D(8)


def test_adjust_down_to_zero_posts_the_difference_out_of_the_location(bolt, a1, clerk):
    stock_receive(item=bolt, location=a1, quantity=5, user=clerk)
    move = stock_adjust(item=bolt, location=a1, counted_quantity=0, user=clerk)
    assert (move.quantity, move.from_location, move.to_location) == (D(5), a1, None)
    assert on_hand(bolt, a1) == D(0)


def test_adjust_to_the_current_quantity_posts_nothing(bolt, a1, clerk):
    stock_receive(item=bolt, location=a1, quantity=5, user=clerk)
    assert stock_adjust(item=bolt, location=a1, counted_quantity=5, user=clerk) is None
    assert StockMove.objects.count() == 1


def test_adjust_below_reserved_is_refused(bolt, a1, clerk):
    stock_receive(item=bolt, location=a1, quantity=5, user=clerk)
    stock_reserve(item=bolt, location=a1, quantity=4, user=clerk)
    with pytest.raises(InvalidQuantity, match="4 reserved"):
        stock_adjust(item=bolt, location=a1, counted_quantity=3, user=clerk)


def test_reversing_a_receipt_takes_the_stock_back_out(bolt, a1, clerk):
    receipt = stock_receive(item=bolt, location=a1, quantity=10, user=clerk)
    reversal = stock_move_reverse(move=receipt, user=clerk)
    assert (reversal.from_location, reversal.to_location, reversal.quantity) == (a1, None, D(10))
    assert reversal.reverses == receipt
    assert on_hand(bolt, a1) == D(0)


def test_reversing_a_transfer_puts_the_stock_back(bolt, a1, b2, clerk):
    stock_receive(item=bolt, location=a1, quantity=10, user=clerk)
    transfer = stock_transfer(item=bolt, from_location=a1, to_location=b2, quantity=4, user=clerk)
    stock_move_reverse(move=transfer, user=clerk)
    assert (on_hand(bolt, a1), on_hand(bolt, b2)) == (D(10), D(0))


def test_a_move_is_reversed_at_most_once(bolt, a1, clerk):
    receipt = stock_receive(item=bolt, location=a1, quantity=10, user=clerk)
    stock_move_reverse(move=receipt, user=clerk)
    with pytest.raises(MoveAlreadyReversed, match="already been reversed"):
        stock_move_reverse(move=receipt, user=clerk)


def test_a_reversal_cannot_itself_be_reversed(bolt, a1, clerk):
    receipt = stock_receive(item=bolt, location=a1, quantity=10, user=clerk)
    reversal = stock_move_reverse(move=receipt, user=clerk)
    with pytest.raises(MoveAlreadyReversed, match="itself the reversal"):
        stock_move_reverse(move=reversal, user=clerk)


def test_reversing_a_receipt_whose_stock_was_issued_is_refused(bolt, a1, clerk):
    receipt = stock_receive(item=bolt, location=a1, quantity=10, user=clerk)
    stock_issue(item=bolt, location=a1, quantity=8, user=clerk)
    with pytest.raises(InsufficientStock):
        stock_move_reverse(move=receipt, user=clerk)
    assert on_hand(bolt, a1) == D(2)


def test_issue_beyond_available_is_refused_with_item_location_and_quantities(bolt, a1, clerk):
    stock_receive(item=bolt, location=a1, quantity=3, user=clerk)
    with pytest.raises(InsufficientStock) as refused:
        stock_issue(item=bolt, location=a1, quantity=5, user=clerk)
    assert refused.value.message == "insufficient stock: item BOLT-10 at A1 has 3 available, 5 asked"
    assert on_hand(bolt, a1) == D(3)
    assert StockMove.objects.count() == 1


def test_issue_from_a_location_that_never_held_the_item_is_refused(bolt, a1, clerk):
    with pytest.raises(InsufficientStock, match="has 0 available, 1 asked"):
        stock_issue(item=bolt, location=a1, quantity=1, user=clerk)


def test_reserved_stock_cannot_be_issued_as_available(bolt, a1, clerk):
    stock_receive(item=bolt, location=a1, quantity=10, user=clerk)
    stock_reserve(item=bolt, location=a1, quantity=8, user=clerk)
    with pytest.raises(InsufficientStock, match="has 2 available, 3 asked"):
        stock_issue(item=bolt, location=a1, quantity=3, user=clerk)


def test_issue_from_a_reservation_lowers_reserved_and_on_hand(bolt, a1, clerk):
    stock_receive(item=bolt, location=a1, quantity=10, user=clerk)
    stock_reserve(item=bolt, location=a1, quantity=8, user=clerk)
    stock_issue(item=bolt, location=a1, quantity=5, user=clerk, reason="shipment", from_reservation=True)
    level = StockLevel.objects.get(item=bolt, location=a1)
    assert (level.on_hand, level.reserved, level.available) == (D(5), D(3), D(2))


def test_reserve_and_unreserve_change_available_and_leave_audit_rows(bolt, a1, clerk):
    stock_receive(item=bolt, location=a1, quantity=10, user=clerk)
    stock_reserve(item=bolt, location=a1, quantity=6, user=clerk, reference="SO-1")
    level = stock_unreserve(item=bolt, location=a1, quantity=2, user=clerk, reference="SO-1")
    assert (level.reserved, level.available) == (D(4), D(6))
    assert sorted(ReservationEntry.objects.values_list("quantity", flat=True)) == [D(-2), D(6)]


def test_reserving_more_than_available_is_refused(bolt, a1, clerk):
    stock_receive(item=bolt, location=a1, quantity=2, user=clerk)
    with pytest.raises(InsufficientStock, match="has 2 available, 3 asked"):
        stock_reserve(item=bolt, location=a1, quantity=3, user=clerk)


def test_releasing_more_than_reserved_is_refused(bolt, a1, clerk):
    stock_receive(item=bolt, location=a1, quantity=2, user=clerk)
    with pytest.raises(InvalidQuantity, match="0 reserved"):
        stock_unreserve(item=bolt, location=a1, quantity=1, user=clerk)


def test_moving_an_inactive_item_is_refused(bolt, a1, clerk):
    bolt.is_active = False
    bolt.save()
    with pytest.raises(InactiveItem, match="item BOLT-10 is inactive"):
        stock_receive(item=bolt, location=a1, quantity=1, user=clerk)
    assert not StockLevel.objects.filter(item=bolt).exists()


def test_an_item_deactivated_after_it_was_loaded_is_still_refused(bolt, a1, clerk):
    stock_receive(item=bolt, location=a1, quantity=5, user=clerk)
    type(bolt).objects.filter(pk=bolt.pk).update(is_active=False)
    with pytest.raises(InactiveItem):
        stock_issue(item=bolt, location=a1, quantity=1, user=clerk)


@pytest.mark.parametrize("quantity", [0, "0.0000", -1, "-0.5"])
def test_zero_or_negative_quantity_is_refused(bolt, a1, clerk, quantity):
    with pytest.raises(InvalidQuantity, match="must be greater than zero"):
        stock_receive(item=bolt, location=a1, quantity=quantity, user=clerk)
    assert not StockMove.objects.exists()


@pytest.mark.parametrize(
    ("quantity", "message"), [("abc", "is not a number"), ("1.00001", "more than 4 decimal places"), ("", "required")]
)
def test_malformed_quantity_is_refused(bolt, a1, clerk, quantity, message):
    with pytest.raises(InvalidQuantity, match=message):
        stock_receive(item=bolt, location=a1, quantity=quantity, user=clerk)


def test_float_quantity_is_a_programming_error(bolt, a1, clerk):
    with pytest.raises(TypeError, match="not float"):
        stock_receive(item=bolt, location=a1, quantity=0.1, user=clerk)


def test_unknown_location_is_refused(bolt, a1, clerk):
    ghost = LocationFactory.build(code="GHOST")
    with pytest.raises(UnknownLocation, match="unknown location 'GHOST'"):
        stock_receive(item=bolt, location=ghost, quantity=1, user=clerk)


def test_a_location_deleted_meanwhile_is_unknown(bolt, a1, clerk):
    empty = LocationFactory(code="GONE")
    pk = empty.pk
    empty.delete()
    empty.pk = pk
    with pytest.raises(UnknownLocation):
        stock_receive(item=bolt, location=empty, quantity=1, user=clerk)
    assert not StockLevel.objects.filter(location_id=pk).exists()


def test_inactive_location_is_refused(bolt, a1, clerk):
    a1.is_active = False
    a1.save()
    with pytest.raises(InactiveLocation, match="location A1 is inactive"):
        stock_receive(item=bolt, location=a1, quantity=1, user=clerk)


def test_transfer_to_the_same_location_is_refused(bolt, a1, clerk):
    stock_receive(item=bolt, location=a1, quantity=1, user=clerk)
    with pytest.raises(InvalidMove, match="same location"):
        stock_transfer(item=bolt, from_location=a1, to_location=a1, quantity=1, user=clerk)


@pytest.mark.parametrize(
    ("reason", "has_from", "has_to", "message"),
    [
        ("receipt", True, True, "leave the from location empty"),
        ("issue", False, False, "needs a from location"),
        ("transfer", True, False, "needs a to location"),
        ("teleport", False, True, "unknown reason"),
    ],
)
def test_move_with_the_wrong_locations_for_its_reason_is_refused(
    bolt, a1, b2, clerk, reason, has_from, has_to, message
):
    stock_receive(item=bolt, location=a1, quantity=5, user=clerk)
    with pytest.raises(InvalidMove, match=message):
        stock_move_post(
            item=bolt,
            quantity=1,
            reason=reason,
            from_location=a1 if has_from else None,
            to_location=b2 if has_to else None,
            user=clerk,
        )


def test_system_jobs_post_moves_without_a_user(bolt, a1):
    move = stock_receive(item=bolt, location=a1, quantity=1, user=None)
    assert move.created_by is None


def test_changing_a_move_through_the_orm_is_refused(bolt, a1, clerk):
    move = stock_receive(item=bolt, location=a1, quantity=1, user=clerk)
    move.quantity = D(2)
    with pytest.raises(ImmutableMoveError, match="reversing move"):
        move.save()
    with pytest.raises(ImmutableMoveError):
        StockMove.objects.filter(pk=move.pk).update(quantity=D(2))


def test_deleting_a_move_through_the_orm_is_refused(bolt, a1, clerk):
    move = stock_receive(item=bolt, location=a1, quantity=1, user=clerk)
    with pytest.raises(ImmutableMoveError):
        move.delete()
    with pytest.raises(ImmutableMoveError):
        StockMove.objects.all().delete()


@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE inventory_stockmove SET quantity = 99",
        "DELETE FROM inventory_stockmove",
        "TRUNCATE inventory_stockmove CASCADE",
    ],
)
def test_the_database_refuses_to_change_moves_even_in_raw_sql(bolt, a1, clerk, sql):
    from django.db import DatabaseError, transaction

    stock_receive(item=bolt, location=a1, quantity=1, user=clerk)
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # TRUNCATE refuses to run with deferred FK checks pending
        # The trigger refuses; TRUNCATE is refused even before it, as the tenant's role holds no TRUNCATE privilege.
        with pytest.raises(DatabaseError, match=r"stock moves are immutable|permission denied"), transaction.atomic():
            cursor.execute(sql)
    assert StockMove.objects.get().quantity == D(1)


def test_the_database_refuses_negative_on_hand(bolt, a1, clerk):
    from django.db import IntegrityError, transaction
    from django_tenants.utils import schema_context

    stock_receive(item=bolt, location=a1, quantity=1, user=clerk)
    # As the owner: the tenant's role may not change on_hand at all (tests/inventory/test_ledger_privileges.py).
    with schema_context("acme"), pytest.raises(IntegrityError, match="on_hand_gte_0"), transaction.atomic():
        StockLevel.objects.filter(item=bolt).update(on_hand=-1)


def test_the_database_refuses_reserved_above_on_hand(bolt, a1, clerk):
    from django.db import IntegrityError, transaction

    stock_receive(item=bolt, location=a1, quantity=1, user=clerk)
    with pytest.raises(IntegrityError, match="reserved_within_on_hand"), transaction.atomic():
        StockLevel.objects.filter(item=bolt).update(reserved=2)


def test_each_tenant_starts_with_a_default_receiving_location(in_acme):
    from inventory.selectors import default_receiving_location

    assert default_receiving_location().code == "RECEIVING"


def test_a_new_item_has_no_stock_anywhere(in_acme):
    item = ItemFactory()
    assert ledger_balance(item=item) == D(0)


@pytest.mark.parametrize("operation", ["issue", "receipt into a new bin", "transfer into a new bin"])
def test_a_move_costs_one_statement(bolt, a1, b2, clerk, django_assert_num_queries, operation):
    stock_receive(item=bolt, location=a1, quantity=5, user=clerk)
    # One SELECT of inventory_post_move(): no savepoint inside the test's transaction, alone no BEGIN/COMMIT either.
    with django_assert_num_queries(1) as captured:
        if operation == "issue":
            stock_issue(item=bolt, location=a1, quantity=1, user=clerk)
        elif operation == "receipt into a new bin":
            stock_receive(item=bolt, location=b2, quantity=1, user=clerk)
        else:
            stock_transfer(item=bolt, from_location=a1, to_location=b2, quantity=1, user=clerk)
    assert "inventory_post_move" in captured.captured_queries[0]["sql"]


def test_a_reservation_costs_a_lock_and_one_write(bolt, a1, clerk, django_assert_num_queries):
    stock_receive(item=bolt, location=a1, quantity=5, user=clerk)
    with django_assert_num_queries(4) as captured:
        stock_reserve(item=bolt, location=a1, quantity=2, user=clerk)
    statements = [query["sql"].split()[0] for query in captured.captured_queries]
    assert statements == ["SAVEPOINT", "SELECT", "WITH", "RELEASE"]


def test_the_returned_move_is_the_stored_one(oil, a1, clerk):
    move = stock_receive(item=oil, location=a1, quantity="2.5", user=clerk, reference="  DN-7  ")
    stored = StockMove.objects.get(pk=move.pk)
    fields = ("item_id", "quantity", "reason", "from_location_id", "to_location_id", "reference", "created_by_id")
    assert [getattr(move, f) for f in fields] == [getattr(stored, f) for f in fields]
    assert stored.reference == "DN-7"
    assert stored.created_at == move.created_at


def test_a_move_records_its_source_document(bolt, a1, clerk):
    from django.contrib.contenttypes.models import ContentType

    document = LocationFactory(code="DOC")  # any model instance will do as a source
    move = stock_receive(item=bolt, location=a1, quantity=1, user=clerk, source=document)
    stored = StockMove.objects.get(pk=move.pk)
    assert (stored.source_type, stored.source_id) == (ContentType.objects.get_for_model(document), document.pk)
    assert move.source == document


def test_a_refused_transfer_into_a_new_bin_leaves_no_level_row_and_no_move(bolt, a1, b2, clerk):
    stock_receive(item=bolt, location=a1, quantity=1, user=clerk)
    with pytest.raises(InsufficientStock, match="item BOLT-10 at A1 has 1 available, 2 asked"):
        stock_transfer(item=bolt, from_location=a1, to_location=b2, quantity=2, user=clerk)
    assert not StockLevel.objects.filter(item=bolt, location=b2).exists()
    assert (on_hand(bolt, a1), StockMove.objects.count()) == (D(1), 1)


def test_a_refused_receipt_into_an_inactive_bin_leaves_nothing(bolt, a1, clerk):
    a1.is_active = False
    a1.save()
    with pytest.raises(InactiveLocation, match="location A1 is inactive"):
        stock_receive(item=bolt, location=a1, quantity=1, user=clerk)
    assert not StockLevel.objects.filter(item=bolt).exists()
    assert not StockMove.objects.exists()


def test_a_refusal_inside_a_callers_transaction_leaves_it_usable(bolt, a1, b2, clerk):
    from django.db import transaction

    with transaction.atomic():
        stock_receive(item=bolt, location=a1, quantity=3, user=clerk)
        with pytest.raises(InsufficientStock):
            stock_issue(item=bolt, location=a1, quantity=4, user=clerk)
        stock_transfer(item=bolt, from_location=a1, to_location=b2, quantity=3, user=clerk)
    assert (on_hand(bolt, a1), on_hand(bolt, b2)) == (D(0), D(3))


def test_issuing_more_than_reserved_from_a_reservation_is_refused(bolt, a1, clerk):
    stock_receive(item=bolt, location=a1, quantity=10, user=clerk)
    stock_reserve(item=bolt, location=a1, quantity=2, user=clerk)
    with pytest.raises(InvalidQuantity) as refused:
        stock_issue(item=bolt, location=a1, quantity=3, user=clerk, reason="shipment", from_reservation=True)
    assert refused.value.message == "item BOLT-10 at A1 has 2 reserved, 3 asked from the reservation"
    level = StockLevel.objects.get(item=bolt, location=a1)
    assert (level.on_hand, level.reserved) == (D(10), D(2))


def test_issuing_from_an_inactive_location_is_refused(bolt, a1, clerk):
    stock_receive(item=bolt, location=a1, quantity=10, user=clerk)
    type(a1).objects.filter(pk=a1.pk).update(is_active=False)
    with pytest.raises(InactiveLocation, match="location A1 is inactive"):
        stock_issue(item=bolt, location=a1, quantity=1, user=clerk)
    assert on_hand(bolt, a1) == D(10)


def test_a_transfer_into_a_new_bin_creates_its_level_row(bolt, a1, b2, clerk):
    stock_receive(item=bolt, location=a1, quantity=5, user=clerk)
    assert not StockLevel.objects.filter(item=bolt, location=b2).exists()
    stock_transfer(item=bolt, from_location=a1, to_location=b2, quantity=2, user=clerk)
    assert (on_hand(bolt, a1), on_hand(bolt, b2)) == (D(3), D(2))
    assert StockMove.objects.filter(reason="transfer").count() == 1


@pytest.mark.parametrize("operation", ["adjust", "reserve"])
def test_counting_or_reserving_at_an_unknown_location_is_refused(bolt, clerk, operation):
    from inventory.services import stock_adjust, stock_reserve

    ghost = LocationFactory.build(code="GHOST")
    with pytest.raises(UnknownLocation, match="unknown location 'GHOST'"):
        if operation == "adjust":
            stock_adjust(item=bolt, location=ghost, counted_quantity=1, user=clerk)
        else:
            stock_reserve(item=bolt, location=ghost, quantity=1, user=clerk)
