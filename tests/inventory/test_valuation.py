"""Stock valuation: the moving-average cost kept by each move, the value ledger and the valuation at any moment.
Every expected number is worked out by hand in the test."""

from decimal import Decimal

import pytest
from django.utils import timezone

from inventory.models import ItemValuation, StockMove, ValuationEntry
from inventory.selectors import stock_valuation, stock_value_history
from inventory.services import (
    InvalidQuantity,
    stock_adjust,
    stock_issue,
    stock_move_reverse,
    stock_receive,
    stock_transfer,
)
from tests.inventory.factories import ItemFactory

D = Decimal


def valuation(item):
    row = ItemValuation.objects.get(item=item)
    return row.quantity, row.average_cost, row.value


def test_moving_average_after_two_receipts_at_different_prices(bolt, a1, clerk):
    stock_receive(item=bolt, location=a1, quantity=10, unit_cost="2.00", user=clerk)
    stock_receive(item=bolt, location=a1, quantity=30, unit_cost="3.00", user=clerk)
    # (10 x 2.00 + 30 x 3.00) / 40 = (20 + 90) / 40 = 2.75
    assert valuation(bolt) == (D(40), D("2.75"), D("110.00"))


def test_the_average_counts_stock_at_every_location(bolt, a1, b2, clerk):
    stock_receive(item=bolt, location=a1, quantity=10, unit_cost="2.00", user=clerk)
    stock_receive(item=bolt, location=b2, quantity=10, unit_cost="4.00", user=clerk)
    # (20 + 40) / 20 = 3.00
    assert valuation(bolt) == (D(20), D("3.00"), D("60.00"))


def test_an_issue_goes_out_at_the_average_and_leaves_it(bolt, a1, clerk):
    stock_receive(item=bolt, location=a1, quantity=10, unit_cost="2.00", user=clerk)
    stock_receive(item=bolt, location=a1, quantity=30, unit_cost="3.00", user=clerk)
    move = stock_issue(item=bolt, location=a1, quantity=8, user=clerk)
    # 8 x 2.75 = 22.00 out: 110.00 - 22.00 = 88.00 for 32
    assert move.unit_cost == D("2.75")
    assert valuation(bolt) == (D(32), D("2.75"), D("88.00"))
    stock_receive(item=bolt, location=a1, quantity=8, unit_cost="4.00", user=clerk)
    # (88.00 + 32.00) / 40 = 3.00
    assert valuation(bolt) == (D(40), D("3.00"), D("120.00"))


def test_a_transfer_changes_no_value(bolt, a1, b2, clerk):
    stock_receive(item=bolt, location=a1, quantity=10, unit_cost="2.00", user=clerk)
    stock_transfer(item=bolt, from_location=a1, to_location=b2, quantity=4, user=clerk)
    assert valuation(bolt) == (D(10), D("2.00"), D("20.00"))
    assert ValuationEntry.objects.filter(item=bolt).count() == 1


def test_a_receipt_without_a_price_comes_in_at_the_average(bolt, a1, clerk):
    stock_receive(item=bolt, location=a1, quantity=10, unit_cost="2.00", user=clerk)
    stock_adjust(item=bolt, location=a1, counted_quantity=12, user=clerk)  # 2 found, at 2.00
    assert valuation(bolt) == (D(12), D("2.00"), D("24.00"))


def test_the_first_receipt_without_a_price_comes_in_at_the_standard_cost(in_acme, a1, clerk):
    nut = ItemFactory(sku="NUT", standard_cost=D("0.40"))
    stock_receive(item=nut, location=a1, quantity=5, user=clerk)
    assert valuation(nut) == (D(5), D("0.40"), D("2.00"))


def test_issuing_everything_leaves_no_value_behind(bolt, a1, clerk):
    stock_receive(item=bolt, location=a1, quantity=1, unit_cost="1.00", user=clerk)
    stock_receive(item=bolt, location=a1, quantity=2, unit_cost="2.00", user=clerk)
    # 5.00 / 3 = 1.6667 (rounded): 3 x 1.6667 would take 5.0001 out; the last issue takes exactly 5.00
    move = stock_issue(item=bolt, location=a1, quantity=3, user=clerk)
    assert valuation(bolt) == (D(0), D("1.6667"), D(0))
    assert ValuationEntry.objects.get(move_id=move.pk).value == D("-5.00")


def test_a_reversed_receipt_goes_back_out_at_its_price(bolt, a1, clerk):
    stock_receive(item=bolt, location=a1, quantity=10, unit_cost="2.00", user=clerk)
    dear = stock_receive(item=bolt, location=a1, quantity=10, unit_cost="4.00", user=clerk)
    stock_move_reverse(move=dear, user=clerk)
    # 60.00 - 10 x 4.00 = 20.00 for 10: back to 2.00
    assert valuation(bolt) == (D(10), D("2.00"), D("20.00"))


def test_valuation_at_a_past_moment_sums_the_ledger_up_to_it(bolt, a1, clerk):
    stock_receive(item=bolt, location=a1, quantity=10, unit_cost="2.00", user=clerk)
    then = timezone.now()
    stock_receive(item=bolt, location=a1, quantity=30, unit_cost="3.00", user=clerk)
    stock_issue(item=bolt, location=a1, quantity=8, user=clerk)
    past = stock_valuation(at=then)
    assert [(line.sku, line.quantity, line.value, line.unit_cost) for line in past.lines] == [
        ("BOLT-10", D(10), D("20.00"), D("2.00"))
    ]
    now = stock_valuation()
    # 20 + 90 - 8 x 2.75 = 88.00 for 32
    assert [(line.sku, line.quantity, line.value, line.unit_cost) for line in now.lines] == [
        ("BOLT-10", D(32), D("88.00"), D("2.75"))
    ]
    assert now.total == D("88.00")


def test_valuation_is_one_query(bolt, a1, clerk, django_assert_num_queries):
    stock_receive(item=bolt, location=a1, quantity=10, unit_cost="2.00", user=clerk)
    with django_assert_num_queries(1):
        stock_valuation().lines  # noqa: B018


def test_stock_value_history_ends_at_the_valued_stock(bolt, a1, clerk):
    stock_receive(item=bolt, location=a1, quantity=10, unit_cost="2.00", user=clerk)
    stock_receive(item=bolt, location=a1, quantity=30, unit_cost="3.00", user=clerk)
    series = stock_value_history(days=3)
    assert series[-1][1] == D("110.00")
    assert series[0][1] == D(0)  # two days ago nothing had come in yet


def test_a_negative_unit_cost_is_refused_and_writes_nothing(bolt, a1, clerk):
    with pytest.raises(InvalidQuantity) as refused:
        stock_receive(item=bolt, location=a1, quantity=10, unit_cost="-2", user=clerk)
    assert refused.value.field == "unit_cost"
    assert not StockMove.objects.filter(item=bolt).exists()
    assert not ValuationEntry.objects.filter(item=bolt).exists()


def test_a_refused_move_changes_no_value(bolt, a1, clerk):
    stock_receive(item=bolt, location=a1, quantity=2, unit_cost="2.00", user=clerk)
    with pytest.raises(Exception, match="available"):
        stock_issue(item=bolt, location=a1, quantity=5, user=clerk)
    assert valuation(bolt) == (D(2), D("2.00"), D("4.00"))
    assert ValuationEntry.objects.filter(item=bolt).count() == 1
