"""A related object named by id (core.api_fields.PlainPrimaryKeyRelatedField) is found, or refused, exactly as DRF's
own field finds or refuses it, whether it is read by a prepared statement or through the field's queryset."""

import pytest
from django_tenants.utils import tenant_context
from rest_framework import serializers

from core.api_fields import PlainPrimaryKeyRelatedField, _every_row
from inventory.models import Item
from tests.inventory.factories import ItemFactory


def drfs_answer(queryset, data):
    field = serializers.PrimaryKeyRelatedField(queryset=queryset)
    try:
        return field.to_internal_value(data)
    except serializers.ValidationError as error:
        return error.detail


def ours(queryset, data):
    field = PlainPrimaryKeyRelatedField(queryset=queryset)
    try:
        return field.to_internal_value(data)
    except serializers.ValidationError as error:
        return error.detail


@pytest.fixture
def bolt(in_acme):
    return ItemFactory(sku="BOLT-PK")


def test_an_id_of_every_row_finds_the_row_as_drf_does(bolt):
    for data in (bolt.pk, str(bolt.pk), f" {bolt.pk} ", f"00{bolt.pk}"):
        found = ours(Item.objects.all(), data)
        assert isinstance(found, Item) and found.pk == bolt.pk and found.sku == "BOLT-PK"
        assert found.__dict__.keys() == drfs_answer(Item.objects.all(), data).__dict__.keys()


@pytest.mark.parametrize("missing", [0, 987654, "987654", 2**63 - 1, 2**63, "99999999999999999999999"])
def test_a_missing_id_is_refused_in_drfs_words(bolt, missing):
    assert ours(Item.objects.all(), missing) == drfs_answer(Item.objects.all(), missing)
    assert "does not exist" in str(ours(Item.objects.all(), missing))


def test_a_narrowed_queryset_is_asked_itself_and_refuses_rows_outside_it(bolt):
    narrowed = Item.objects.filter(sku="SOMETHING-ELSE")
    assert not _every_row(narrowed)
    assert "does not exist" in str(ours(narrowed, bolt.pk))
    assert ours(Item.objects.filter(sku="BOLT-PK"), bolt.pk) == bolt


@pytest.mark.parametrize(
    "queryset",
    [
        lambda: Item.objects.only("sku"),
        lambda: Item.objects.all()[:1],
        lambda: Item.objects.values("pk"),
    ],
)
def test_a_shaped_queryset_is_not_read_as_every_row(in_acme, queryset):
    assert not _every_row(queryset())


def test_an_id_in_a_field_that_joins_a_relation_finds_the_row_with_it_joined(bolt, django_assert_num_queries):
    joined = Item.objects.select_related("uom")
    assert _every_row(joined)
    found = ours(joined, bolt.pk)
    with django_assert_num_queries(0):
        assert found.uom.code == bolt.uom.code
    plain = ours(Item.objects.all(), bolt.pk)  # the other shape is its own statement: no unit joined
    assert "uom" not in plain._state.fields_cache


def test_an_id_finds_the_row_of_the_requests_tenant_only(acme, globex):
    with tenant_context(globex):
        theirs = ItemFactory(sku="GLOBEX-PK")
    with tenant_context(acme):
        found = ours(Item.objects.all(), theirs.pk)
        assert not (isinstance(found, Item) and found.sku == "GLOBEX-PK")
    with tenant_context(globex):
        assert ours(Item.objects.all(), theirs.pk).sku == "GLOBEX-PK"
