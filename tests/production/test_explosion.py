"""Explosion and where-used: totals on a hand-computed example, and a query count that does not grow with depth."""

from decimal import Decimal

import pytest

from inventory.models import UnitOfMeasure
from production.selectors import bom_explosion, where_used

D = Decimal


@pytest.fixture
def bike(item, make_bom):
    """BIKE = 1 FRAME + 2 WHEEL (5% scrap) + 4 BOLT
    FRAME = 3 TUBE (10% scrap) + 2 BOLT
    WHEEL = 36 SPOKE (2% scrap) + 1 RIM
    RIM = 1.5 m STRIP (4% scrap)
    """
    parts = {sku: item(sku) for sku in ["BIKE", "FRAME", "WHEEL", "BOLT", "TUBE", "SPOKE", "RIM"]}
    parts["STRIP"] = item("STRIP", uom=UnitOfMeasure.objects.get(code="m"))
    make_bom(parts["BIKE"], (parts["FRAME"], 1), (parts["WHEEL"], 2, 5), (parts["BOLT"], 4))
    make_bom(parts["FRAME"], (parts["TUBE"], 3, 10), (parts["BOLT"], 2))
    make_bom(parts["WHEEL"], (parts["SPOKE"], 36, 2), (parts["RIM"], 1))
    make_bom(parts["RIM"], (parts["STRIP"], "1.5", 4))
    return parts


def test_explosion_of_ten_bikes_gives_the_hand_computed_tree(bike):
    explosion = bom_explosion(item=bike["BIKE"], quantity=10)
    tree = [(row.depth, row.sku, row.total_quantity, row.has_bom) for row in explosion.rows]
    assert tree == [
        (1, "FRAME", D(10), True),  #     10 x 1
        (2, "TUBE", D(33), False),  #     10 x 3 x 1.10 = 33
        (2, "BOLT", D(20), False),  #     10 x 2 = 20
        (1, "WHEEL", D(21), True),  #     10 x 2 x 1.05 = 21
        (2, "SPOKE", D("771.12"), False),  # 21 x 36 x 1.02 = 771.12
        (2, "RIM", D(21), True),  #       21 x 1 = 21
        (3, "STRIP", D("32.76"), False),  # 21 x 1.5 x 1.04 = 32.76
        (1, "BOLT", D(40), False),  #     10 x 4 = 40
    ]


def test_explosion_leaves_sum_each_purchased_component_over_every_place_it_appears(bike):
    leaves = {leaf.sku: leaf.total_quantity for leaf in bom_explosion(item=bike["BIKE"], quantity=10).leaves}
    # BOLT: 20 under FRAME + 40 directly = 60
    assert leaves == {"BOLT": D(60), "SPOKE": D("771.12"), "STRIP": D("32.76"), "TUBE": D(33)}


def test_explosion_of_an_item_without_a_bom_is_empty(bike):
    explosion = bom_explosion(item=bike["BOLT"], quantity=5)
    assert (explosion.rows, explosion.leaves) == ([], [])


def test_explosion_of_a_five_level_bom_takes_one_query(item, make_bom, django_assert_num_queries):
    # 5 levels, 3 components per assembly: 3 + 9 + 27 + 81 + 243 = 363 lines
    root = item("L0")
    level, counter = [root], 0
    for depth in range(1, 6):
        below = []
        for parent in level:
            children = []
            for _ in range(3):
                counter += 1
                children.append(item(f"L{depth}-{counter}"))
            make_bom(parent, *[(child, 2) for child in children])
            below.extend(children)
        level = below
    with django_assert_num_queries(1):
        explosion = bom_explosion(item=root, quantity=1)
    assert len(explosion.rows) == 363
    assert max(row.depth for row in explosion.rows) == 5
    assert {leaf.total_quantity for leaf in explosion.leaves} == {D(32)}  # 2^5 each
    assert len(explosion.leaves) == 243


def test_where_used_lists_every_parent_at_any_depth(bike, django_assert_num_queries):
    with django_assert_num_queries(1):
        rows = where_used(item=bike["STRIP"])
    assert [(row.depth, row.parent_sku, row.child_sku, row.per_parent_unit) for row in rows] == [
        (1, "RIM", "STRIP", D("1.56")),  # 1.5 x 1.04
        (2, "WHEEL", "RIM", D("1.56")),  # x 1
        (3, "BIKE", "WHEEL", D("3.276")),  # x 2 x 1.05
    ]


def test_where_used_of_a_shared_part_follows_each_path(bike):
    rows = where_used(item=bike["BOLT"])
    assert sorted((row.parent_sku, row.per_parent_unit) for row in rows) == [
        ("BIKE", D(2)),  # through FRAME: 2 x 1
        ("BIKE", D(4)),  # directly
        ("FRAME", D(2)),
    ]
