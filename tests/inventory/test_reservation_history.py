"""Reservation history adds up: Σ ReservationEntry == StockLevel.reserved for every (item, location), whatever the
sequence of reserve, release, consumption from a reservation and shipment."""

from decimal import Decimal

import pytest

from inventory.models import ReservationEntry, StockLevel
from inventory.selectors import ReservationMismatch, reservation_mismatches
from inventory.services import InvalidQuantity, stock_issue, stock_receive, stock_reserve, stock_unreserve

D = Decimal


def test_consuming_from_a_reservation_writes_its_negative_entry(bolt, a1, clerk):
    stock_receive(item=bolt, location=a1, quantity=10, user=clerk)
    stock_reserve(item=bolt, location=a1, quantity=8, user=clerk, reference="WO-1")
    stock_issue(item=bolt, location=a1, quantity=5, user=clerk, reason="shipment", from_reservation=True, reference="X")
    entries = sorted(ReservationEntry.objects.values_list("quantity", "reference"))
    assert entries == [(D(-5), "X"), (D(8), "WO-1")]
    assert StockLevel.objects.get(item=bolt, location=a1).reserved == D(3)


def test_a_refused_consumption_writes_no_entry(bolt, a1, clerk):
    stock_receive(item=bolt, location=a1, quantity=10, user=clerk)
    stock_reserve(item=bolt, location=a1, quantity=2, user=clerk)
    with pytest.raises(InvalidQuantity, match="has 2 reserved, 5 asked"):
        stock_issue(item=bolt, location=a1, quantity=5, user=clerk, reason="shipment", from_reservation=True)
    assert ReservationEntry.objects.count() == 1


def test_reservation_history_adds_up_after_reserve_consume_release_sequences(bolt, a1, b2, clerk):
    stock_receive(item=bolt, location=a1, quantity=50, user=clerk)
    stock_receive(item=bolt, location=b2, quantity=20, user=clerk)
    stock_reserve(item=bolt, location=a1, quantity=30, user=clerk)
    stock_issue(item=bolt, location=a1, quantity=12, user=clerk, reason="shipment", from_reservation=True)
    stock_unreserve(item=bolt, location=a1, quantity=5, user=clerk)
    stock_reserve(item=bolt, location=b2, quantity=20, user=clerk)
    stock_issue(item=bolt, location=b2, quantity=20, user=clerk, reason="shipment", from_reservation=True)
    stock_issue(item=bolt, location=a1, quantity=13, user=clerk, reason="shipment", from_reservation=True)
    assert reservation_mismatches() == []
    assert StockLevel.objects.get(item=bolt, location=a1).reserved == 0


def test_the_check_reports_a_level_whose_history_does_not_add_up(bolt, a1, clerk):
    stock_receive(item=bolt, location=a1, quantity=10, user=clerk)
    stock_reserve(item=bolt, location=a1, quantity=4, user=clerk)
    ReservationEntry.objects.create(item=bolt, location=a1, quantity=D(2))  # a stray row, as main wrote none before
    assert reservation_mismatches() == [ReservationMismatch(bolt.pk, a1.pk, D(4), D(6))]
