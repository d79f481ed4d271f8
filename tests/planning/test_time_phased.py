"""Time-phased MRP on data built by hand (the engine is a pure function of `PlanningData`): every expected number is
worked out in the comment above its assertion. Day n is `day(n)`, n days after the plan's today."""

import datetime
from decimal import Decimal

from planning.engine import ItemData, PlanningData, plan, weekly
from planning.sources import DemandLine, Peg, SupplyLine

D = Decimal
TODAY = datetime.date(2027, 3, 1)  # a Monday


def day(n: int) -> datetime.date:
    return TODAY + datetime.timedelta(days=n)


def item(pk, sku, *, make=False, lead=0, level=0, sizing="lot_for_lot", qty=0, minimum=0, multiple=0, periods=0,
         safety=0):  # fmt: skip
    return ItemData(pk, sku, sku.title(), "pcs", "make" if make else "buy", lead, sizing, D(qty), D(minimum),
                    D(multiple), periods, D(safety), level)  # fmt: skip


def so(number: int) -> Peg:
    return Peg("orders.salesorder", None, f"SO-{number}")


def po(number: int) -> Peg:
    return Peg("orders.purchaseorder", None, f"PO-{number}")


def data(items, *, demand=(), supply=(), on_hand=None, children=None):
    return PlanningData({i.pk: i for i in items}, children or {}, on_hand or {}, list(demand), list(supply))


def rows(item_plan):
    """{day offset: (gross, receipts, on hand, net, planned receipts, planned releases)} of the days with activity."""
    return {
        (b.day - TODAY).days: (b.gross, b.receipts, b.on_hand, b.net, b.planned_receipts, b.planned_releases)
        for b in item_plan.buckets
    }


def orders_of(result, sku):
    return [
        (o.quantity, o.net, (o.release - TODAY).days, (o.due - TODAY).days)
        for o in result.planned_orders
        if o.sku == sku
    ]


def messages(result):
    return [
        (e.kind, e.sku, e.label, (e.date - TODAY).days, e.to_date and (e.to_date - TODAY).days)
        for e in result.exceptions
    ]


# --- Supply arriving after the need ---------------------------------------------------------------------------------
def test_supply_due_after_the_need_leaves_a_net_requirement_and_a_message_to_pull_it_in():
    # U: lead time 2, no stock; SO-1 needs 10 on day 7; PO-1 brings 10 on day 60.
    u = item(1, "U", lead=2)
    result = plan(
        data([u], demand=[DemandLine(1, D(10), day(7), so(1))], supply=[SupplyLine(1, D(10), day(60), po(1))]),
        today=TODAY, horizon_days=90,
    )  # fmt: skip
    [grid] = result.items
    # day 7: 10 needed, nothing there -> net 10, planned receipt 10, released 2 days before (day 5);
    # day 60: the purchase order arrives and is left over.
    assert rows(grid) == {
        0: (0, 0, 0, 0, 0, 0),
        5: (0, 0, 0, 0, 0, 10),
        7: (10, 0, 0, 10, 10, 0),
        60: (0, 10, 10, 0, 0, 0),
    }
    assert orders_of(result, "U") == [(10, 10, 5, 7)]
    assert messages(result) == [("reschedule_in", "U", "PO-1", 60, 7)]


def test_a_receipt_beyond_the_horizon_is_not_netted_but_still_pulled_in():
    u = item(1, "U", lead=2)
    result = plan(
        data([u], demand=[DemandLine(1, D(10), day(7), so(1))], supply=[SupplyLine(1, D(10), day(60), po(1))]),
        today=TODAY, horizon_days=30,
    )  # fmt: skip
    # the horizon is days 0-29: day 60 is outside, so no receipt bucket, and the need on day 7 is planned
    assert rows(result.items[0]) == {0: (0, 0, 0, 0, 0, 0), 5: (0, 0, 0, 0, 0, 10), 7: (10, 0, 0, 10, 10, 0)}
    assert messages(result) == [("reschedule_in", "U", "PO-1", 60, 7)]


def test_demand_after_the_horizon_is_left_out():
    u = item(1, "U")
    result = plan(data([u], demand=[DemandLine(1, D(10), day(30), so(1))]), today=TODAY, horizon_days=30)
    assert result.planned_orders == [] and result.items == []  # day 30 is the 31st day


def test_past_due_demand_is_needed_today_and_its_order_expedited():
    # lead 4, 5 needed 3 days ago: planned for today (day 0), released day -4: already late
    u = item(1, "U", lead=4)
    result = plan(data([u], demand=[DemandLine(1, D(5), day(-3), so(1))]), today=TODAY, horizon_days=10)
    assert orders_of(result, "U") == [(5, 5, -4, 0)]
    assert rows(result.items[0]) == {0: (5, 0, 0, 5, 5, 5)}  # the release shows in today's bucket
    assert messages(result) == [("expedite", "U", "planned order 1", -4, None)]


# --- Exception messages ---------------------------------------------------------------------------------------------
def test_an_early_receipt_is_rescheduled_out_and_one_nobody_needs_cancelled():
    # V: PO-1 brings 10 on day 2, but the 10 are needed on day 9: reschedule out to day 9.
    # W: PO-2 brings 5 on day 4 and nothing needs W: cancel.
    v, w = item(1, "V"), item(2, "W")
    result = plan(
        data([v, w], demand=[DemandLine(1, D(10), day(9), so(1))],
             supply=[SupplyLine(1, D(10), day(2), po(1)), SupplyLine(2, D(5), day(4), po(2))]),
        today=TODAY, horizon_days=30,
    )  # fmt: skip
    assert result.planned_orders == []
    assert sorted(messages(result)) == [("cancel", "W", "PO-2", 4, None), ("reschedule_out", "V", "PO-1", 2, 9)]


def test_a_receipt_on_time_gets_no_message():
    v = item(1, "V")
    result = plan(
        data([v], demand=[DemandLine(1, D(10), day(9), so(1))], supply=[SupplyLine(1, D(10), day(9), po(1))]),
        today=TODAY, horizon_days=30,
    )  # fmt: skip
    assert result.exceptions == [] and result.planned_orders == []


# --- Lot sizing -----------------------------------------------------------------------------------------------------
LUMPY = [(3, 10), (5, 10), (9, 10), (12, 60)]  # (day, quantity): 90 in all, no stock


def lumpy(**rule):
    u = item(1, "U", lead=1, **rule)
    demand = [DemandLine(1, D(q), day(n), so(i)) for i, (n, q) in enumerate(LUMPY, start=1)]
    return plan(data([u], demand=demand), today=TODAY, horizon_days=30)


def test_lot_for_lot_orders_each_net_requirement():
    result = lumpy()
    assert orders_of(result, "U") == [(10, 10, 2, 3), (10, 10, 4, 5), (10, 10, 8, 9), (60, 60, 11, 12)]


def test_fixed_quantity_orders_whole_lots():
    # lots of 25: day 3 -10 -> 25 (15 left); day 5: 5; day 9: -5 -> 25 (20); day 12: 20 - 60 = -40 -> 2 lots (10)
    result = lumpy(sizing="fixed", qty=25)
    assert orders_of(result, "U") == [(25, 10, 2, 3), (25, 5, 8, 9), (50, 40, 11, 12)]
    assert rows(result.items[0])[12][2] == 10


def test_minimum_and_multiple_round_each_order_up():
    # minimum 12, multiple 5: day 3 net 10 -> 12 -> 15 (5 left); day 5: -5 -> 12 -> 15 (10); day 9: 0, no order;
    # day 12: net 60 -> 60 (a multiple of 5)
    result = lumpy(sizing="min_multiple", minimum=12, multiple=5)
    assert orders_of(result, "U") == [(15, 10, 2, 3), (15, 5, 4, 5), (60, 60, 11, 12)]
    assert rows(result.items[0])[9][2] == 0


def test_a_suppliers_least_order_raises_the_order_of_every_rule():
    from dataclasses import replace

    # least order 20: lot for lot 10 -> 20 (10 left), day 5: 0, no order; day 9: -10 -> 20 (10); day 12: 60 - 10 = 50
    u = replace(item(1, "U", lead=1), order_minimum=D(20))
    demand = [DemandLine(1, D(q), day(n), so(i)) for i, (n, q) in enumerate(LUMPY, start=1)]
    result = plan(data([u], demand=demand), today=TODAY, horizon_days=30)
    assert orders_of(result, "U") == [(20, 10, 2, 3), (20, 10, 8, 9), (50, 50, 11, 12)]


def test_periods_of_supply_cover_the_next_days_net_requirements():
    # 7 days of supply: the order due day 3 covers days 3-9 (10 + 10 + 10 = 30); the one due day 12 covers 12-18 (60)
    result = lumpy(sizing="periods", periods=7)
    assert orders_of(result, "U") == [(30, 10, 2, 3), (60, 60, 11, 12)]
    assert [rows(result.items[0])[n][2] for n in (3, 5, 9, 12)] == [20, 10, 0, 0]


# --- Safety stock ---------------------------------------------------------------------------------------------------
def test_safety_stock_is_kept_and_pegged_first():
    # safety stock 5, 8 on hand; 4 needed day 2, PO-1 brings 3 day 4, 6 needed day 6.
    # day 2: 8 - 4 = 4 < 5 -> net 1, order 1 (5); day 4: 8; day 6: 8 - 6 = 2 -> net 3, order 3 (5)
    s = item(1, "S", safety=5)
    result = plan(
        data([s], on_hand={1: D(8)},
             demand=[DemandLine(1, D(4), day(2), so(1)), DemandLine(1, D(6), day(6), so(2))],
             supply=[SupplyLine(1, D(3), day(4), po(1))]),
        today=TODAY, horizon_days=30,
    )  # fmt: skip
    assert orders_of(result, "S") == [(1, 1, 2, 2), (3, 3, 6, 6)]
    assert {n: r[2] for n, r in rows(result.items[0]).items()} == {0: 8, 2: 5, 4: 8, 6: 5}
    # stock: 5 to safety stock, 3 to SO-1; SO-1's last 1 from the first order; SO-2 from PO-1 (3) and the second (3)
    first, second = result.planned_orders
    assert [(p.quantity, p.demand, p.top) for p in first.pegs] == [(1, "SO-1", ["SO-1"])]
    assert [(p.quantity, p.demand) for p in second.pegs] == [(3, "SO-2")]
    [receipt] = result.receipts
    assert [(p.quantity, p.demand) for p in receipt.pegs] == [(3, "SO-2")]
    # safety stock 5 + 4 on day 2 = 9 > 8 on hand: PO-1 (due day 4) is needed from day 2
    assert messages(result) == [("reschedule_in", "S", "PO-1", 4, 2)]


def test_stock_below_safety_stock_is_replenished_today():
    s = item(1, "S", safety=10)
    result = plan(data([s], on_hand={1: D(4)}), today=TODAY, horizon_days=30)
    assert orders_of(result, "S") == [(6, 6, 0, 0)]
    assert [(p.quantity, p.top) for p in result.planned_orders[0].pegs] == [(6, ["safety stock"])]


# --- Levels: a component on two levels, netted once; pegging up to the sales order ------------------------------------
def two_levels(*, stale_codes=False):
    """A (make, lead 1) = 1 B (10% scrap) + 2 C; B (make, lead 1) = 3 C; C bought, lead 2, 20 in stock."""
    a = item(1, "A", make=True, lead=1, level=0)
    b = item(2, "B", make=True, lead=1, level=0 if stale_codes else 1)
    c = item(3, "C", lead=2, level=0 if stale_codes else 2)
    children = {1: [(2, D("1.1")), (3, D(2))], 2: [(3, D(3))]}
    return data([a, b, c], children=children, on_hand={3: D(20)}, demand=[DemandLine(1, D(10), day(10), so(1))])


def test_a_component_on_two_levels_is_netted_once_with_all_its_demand():
    result = plan(two_levels(), today=TODAY, horizon_days=30)
    # A: 10 due day 10, started day 9. B: 10 x 1.1 = 11 on day 9, due 9, started 8.
    # C: 11 x 3 = 33 on day 8 (B) + 10 x 2 = 20 on day 9 (A); 20 in stock:
    #    day 8: 20 - 33 = -13 -> order 13 (ordered day 6); day 9: -20 -> order 20 (ordered day 7)
    assert orders_of(result, "A") == [(10, 10, 9, 10)]
    assert orders_of(result, "B") == [(11, 11, 8, 9)]
    assert orders_of(result, "C") == [(13, 13, 6, 8), (20, 20, 7, 9)]
    assert [i.sku for i in result.items] == ["A", "B", "C"]  # each planned once, by level
    assert rows(result.items[2])[8] == (33, 0, 0, 13, 13, 0)


def test_stale_low_level_codes_still_net_each_item_once_below_its_parents():
    assert orders_of(plan(two_levels(stale_codes=True), today=TODAY, horizon_days=30), "C") == [
        (13, 13, 6, 8), (20, 20, 7, 9),
    ]  # fmt: skip


def test_pegging_goes_up_through_the_levels_to_the_sales_order():
    result = plan(two_levels(), today=TODAY, horizon_days=30)
    a, b, c8, c9 = result.planned_orders
    assert [(p.quantity, p.demand, p.planned_order, p.top) for p in a.pegs] == [(10, "SO-1", None, ["SO-1"])]
    assert [(p.quantity, p.demand, p.planned_order, p.top) for p in b.pegs] == [(11, "A planned order 1", 1, ["SO-1"])]
    # C's stock (20) goes to B's 33 first; the rest of B's (13) and then A's 20 come from the two orders
    assert [(p.quantity, p.demand, p.planned_order, p.top) for p in c8.pegs] == [(13, "B planned order 2", 2, ["SO-1"])]
    assert [(p.quantity, p.demand, p.planned_order, p.top) for p in c9.pegs] == [(20, "A planned order 1", 1, ["SO-1"])]


def test_a_work_orders_components_are_pegged_to_what_its_output_serves():
    # WO-1 makes 4 A by day 10 (its component demand: 4 B on day 9); SO-1 needs 10 A on day 10 -> A makes 6 more.
    wo = Peg("production.workorder", 77, "WO-1")
    a, b = item(1, "A", make=True, lead=1), item(2, "B", lead=0, level=1)
    result = plan(
        data([a, b], children={1: [(2, D(1))]}, demand=[DemandLine(1, D(10), day(10), so(1)),
                                                       DemandLine(2, D(4), day(9), wo)],
             supply=[SupplyLine(1, D(4), day(10), wo)]),
        today=TODAY, horizon_days=30,
    )  # fmt: skip
    assert orders_of(result, "A") == [(6, 6, 9, 10)]
    # B: 4 (WO-1) + 6 (A's planned order) on day 9, both ending at SO-1
    [b_order] = [o for o in result.planned_orders if o.sku == "B"]
    assert b_order.quantity == 10
    assert sorted((p.quantity, p.demand, tuple(p.top)) for p in b_order.pegs) == [
        (4, "WO-1", ("SO-1",)), (6, "A planned order 1", ("SO-1",)),
    ]  # fmt: skip


# --- Weekly view ----------------------------------------------------------------------------------------------------
def test_the_weekly_view_sums_each_week_and_keeps_its_last_on_hand():
    result = lumpy()
    # days 2, 3, 4, 5 (week of day 0, a Monday), 8, 9, 11, 12 (week of day 7)
    weeks = {
        (w.day - TODAY).days: (w.gross, w.on_hand, w.planned_receipts, w.planned_releases)
        for w in weekly(result.items[0].buckets)
    }
    assert weeks == {0: (20, 0, 20, 20), 7: (70, 0, 70, 70)}
