"""core.prepared: a fixed-shape read compiled once per key, then sent as that SQL, answering each tenant's own data."""

import uuid

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
