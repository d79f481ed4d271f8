"""core.prepared: a fixed-shape read compiled once per key, then sent as that SQL, answering each tenant's own data."""

import uuid

import pytest
from django.db.models import Count
from django_tenants.utils import tenant_context

from core import prepared
from tests.inventory.factories import LocationFactory


def _counter(calls: list[int]):
    def build():
        from inventory.models import Location

        calls.append(1)
        return Location.objects.values_list("kind").annotate(n=Count("pk")).order_by("kind")

    return build


def test_a_prepared_read_is_compiled_once_and_answers_with_the_current_rows(in_acme):
    key, calls = ("test", uuid.uuid4().hex), []
    before = dict(prepared.rows(key, _counter(calls)))
    LocationFactory(code="PREP-1")
    after = dict(prepared.rows(key, _counter(calls)))
    assert calls == [1]
    assert sum(after.values()) == sum(before.values()) + 1


def test_one_compiled_read_answers_each_tenant_from_its_own_schema(acme, globex):
    key, calls = ("test", uuid.uuid4().hex), []
    with tenant_context(acme):
        LocationFactory(code="PREP-A1")
        LocationFactory(code="PREP-A2")
        in_acme = sum(n for _, n in prepared.rows(key, _counter(calls)))
    with tenant_context(globex):
        in_globex = sum(n for _, n in prepared.rows(key, _counter(calls)))
        LocationFactory(code="PREP-G1")
        assert sum(n for _, n in prepared.rows(key, _counter(calls))) == in_globex + 1
    with tenant_context(acme):
        assert sum(n for _, n in prepared.rows(key, _counter(calls))) == in_acme
    assert calls == [1]


def _location_by_code(calls: list[int]):
    def build(code: str):
        from inventory.models import Location

        calls.append(1)
        return Location.objects.filter(code=code).select_related("parent")

    return build


def test_a_prepared_read_with_an_argument_answers_for_each_value_from_one_compilation(in_acme):
    key, calls = ("test", uuid.uuid4().hex), []
    first = LocationFactory(code="PREP-ARG-1")
    second = LocationFactory(code="PREP-ARG-2", parent=first)
    assert [loc.pk for loc in prepared.objects(key, _location_by_code(calls), "PREP-ARG-1")] == [first.pk]
    (found,) = prepared.objects(key, _location_by_code(calls), "PREP-ARG-2")
    assert (found.pk, found.parent.code) == (second.pk, "PREP-ARG-1")
    assert prepared.objects(key, _location_by_code(calls), "PREP-NONE") == []
    assert calls == [1]


def test_a_prepared_count_and_pages_answer_as_the_queryset_does(in_acme):
    from inventory.models import Location

    parent = LocationFactory(code="PREP-PAGES")
    children = [LocationFactory(code=f"PREP-PAGES-{n}", parent=parent) for n in range(5)]

    def build(parent_id: int):
        return Location.objects.filter(parent=parent_id).order_by("code")

    pages = prepared.Pages(("test", uuid.uuid4().hex), build, parent.pk)
    assert pages.count() == 5
    assert [loc.pk for loc in pages[2:4]] == [child.pk for child in children[2:4]]
    assert pages[0:0] == []
    assert prepared.count(("test", uuid.uuid4().hex), build, children[0].pk) == 0


def test_an_argument_that_does_not_reach_the_sql_once_is_refused(in_acme):
    from inventory.models import Location

    with pytest.raises(ValueError, match="2 times"):
        prepared.objects(("test", uuid.uuid4().hex), lambda pk: Location.objects.filter(pk=pk, parent=pk), 1)


def test_one_prepared_read_with_an_argument_answers_each_tenant_from_its_own_schema(acme, globex):
    key, calls = ("test", uuid.uuid4().hex), []
    with tenant_context(acme):
        LocationFactory(code="PREP-TENANT")
        assert len(prepared.objects(key, _location_by_code(calls), "PREP-TENANT")) == 1
    with tenant_context(globex):
        assert prepared.objects(key, _location_by_code(calls), "PREP-TENANT") == []
    assert calls == [1]


def test_compiling_a_prepared_count_runs_no_query_of_its_own(in_acme, django_assert_num_queries):
    from inventory.models import Location

    with django_assert_num_queries(1):
        assert prepared.count(("test", uuid.uuid4().hex), lambda code: Location.objects.filter(code=code), "NONE") == 0


def test_converted_columns_are_converted_on_every_read_and_worked_out_once(in_acme, monkeypatch):
    """A JSON column (a field's from_db_value) and an Exists annotation (an expression's converter) come back as the
    queryset gives them, on the first read and the later ones; Django's converter lookup runs for the first only."""
    from django.db.models import Exists, OuterRef
    from django.db.models.sql.compiler import SQLCompiler

    from inventory.models import Item, Location
    from tests.inventory.factories import ItemFactory

    looked_up = []
    get_converters = SQLCompiler.get_converters

    def counting(self, expressions):
        looked_up.append(1)
        return get_converters(self, expressions)

    items = [ItemFactory(attributes={"colour": "red", "n": n}) for n in range(2)]
    monkeypatch.setattr(SQLCompiler, "get_converters", counting)

    def build(pk: int):
        return Item.objects.filter(pk=pk).annotate(anywhere=Exists(Location.objects.filter(pk=OuterRef("pk"))))

    key = ("test", uuid.uuid4().hex)
    for item in items * 2:
        (found,) = prepared.objects(key, build, item.pk)
        (expected,) = build(item.pk)
        assert found.attributes == expected.attributes == {"colour": "red", "n": item.attributes["n"]}
        assert found.anywhere is expected.anywhere
        assert found.reorder_point == expected.reorder_point
    assert len(looked_up) == 1 + 4  # the prepared read's first, and each plain queryset's


def _state(instance) -> tuple:
    return (type(instance), instance._state.adding, instance._state.db, instance._state.fetch_mode)


def _made(instance) -> tuple:
    """An instance as its values, its state and the joined instances it holds (recursively)."""
    if instance is None:
        return (None,)
    values = {k: v for k, v in instance.__dict__.items() if k != "_state"}
    joined = {name: _made(related) for name, related in sorted(instance._state.fields_cache.items())}
    return (values, _state(instance), joined)


def _as_django_makes_them(queryset) -> list[tuple]:
    return [_made(obj) for obj in queryset]


def test_instances_of_a_plain_read_are_what_django_makes(in_acme):
    from django.db.models import F

    from orders.models import SalesOrderLine
    from tests.orders.factories import SalesOrderLineFactory

    for _ in range(3):
        SalesOrderLineFactory()
    build = lambda: SalesOrderLine.objects.annotate(item_sku=F("item__sku")).order_by("pk")  # noqa: E731
    key = ("test", uuid.uuid4().hex)
    ours = prepared.objects(key, build)
    assert prepared._statements[key].instances is not None  # the quick path is the one compared
    assert _as_django_makes_them(ours) == _as_django_makes_them(build())
    assert [line.item.sku for line in ours] == [line.item_sku for line in ours]  # relations still load
    assert ours[0].pk and not ours[0]._state.adding


def test_instances_of_a_read_with_select_related_are_what_django_makes_joined_rows_included(in_acme):
    from django.contrib.auth import get_user_model

    from inventory.selectors import move_list
    from inventory.services import stock_move_post
    from tests.inventory.factories import ItemFactory

    boss = get_user_model().objects.get(username="boss")
    item, store = ItemFactory(sku="PREP-SR"), LocationFactory(code="PREP-SR")
    stock_move_post(item=item, quantity=3, reason="receipt", to_location=store, user=boss)  # no from_location: null
    stock_move_post(item=item, quantity=1, reason="issue", from_location=store, user=boss)
    build = lambda: move_list().filter(item__sku="PREP-SR").order_by("pk")  # noqa: E731
    key = ("test", uuid.uuid4().hex)
    ours = prepared.objects(key, build)
    assert prepared._statements[key].instances is not None
    assert _as_django_makes_them(ours) == _as_django_makes_them(build())
    assert ours[0].from_location is None and ours[0].to_location.code == "PREP-SR" and ours[0].item.sku == "PREP-SR"
    assert ours[1].from_location.code == "PREP-SR" and ours[1].to_location is None


def test_a_read_of_some_columns_leaves_the_others_deferred_as_django_does(in_acme):
    from inventory.models import Item
    from tests.inventory.factories import ItemFactory

    ItemFactory(sku="PREP-ONLY")
    build = lambda: Item.objects.only("sku").filter(sku="PREP-ONLY")  # noqa: E731
    ours = prepared.objects(("test", uuid.uuid4().hex), build)
    assert _as_django_makes_them(ours) == _as_django_makes_them(build())
    assert ours[0].get_deferred_fields() == build()[0].get_deferred_fields() != set()


def test_a_model_with_a_post_init_receiver_gets_djangos_instances(in_acme):
    from django.db.models.signals import post_init

    from inventory.models import Location

    LocationFactory(code="PREP-SIG")
    seen = []

    def receiver(sender, instance, **kwargs):
        seen.append(instance.code)

    post_init.connect(receiver, sender=Location)
    try:
        found = prepared.objects(("test", uuid.uuid4().hex), lambda: Location.objects.filter(code="PREP-SIG"))
    finally:
        post_init.disconnect(receiver, sender=Location)
    assert [location.code for location in found] == seen == ["PREP-SIG"]
