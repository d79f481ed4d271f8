"""The cheap read path of the API (core.api_reads, core.api_schema) answers exactly what DRF's own classes did."""

import pytest
from rest_framework import pagination

from core import api_schema
from core.api_reads import PageNumberPagination
from tests.inventory.conftest import logged_in
from tests.inventory.factories import ItemFactory


@pytest.fixture
def api(acme, acme_client):
    return logged_in(acme_client, acme)


@pytest.fixture
def five_items(in_acme):
    return [ItemFactory(sku=f"READ-{n}") for n in range(5)]


def both_paginations(api, monkeypatch, url: str, page_size: int) -> tuple[bytes, bytes]:
    """The same request answered with this project's pagination, then with DRF's."""
    monkeypatch.setattr(PageNumberPagination, "page_size", page_size)
    ours = api.get(url).content
    monkeypatch.setattr("rest_framework.generics.GenericAPIView.pagination_class", pagination.PageNumberPagination)
    monkeypatch.setattr(pagination.PageNumberPagination, "page_size", page_size)
    return ours, api.get(url).content


@pytest.mark.parametrize("page_size", [2, 5, 50])
def test_the_first_page_is_the_same_as_drfs_whatever_the_list_length(api, five_items, monkeypatch, page_size):
    ours, drfs = both_paginations(api, monkeypatch, "/api/v1/items/?search=READ", page_size)
    assert ours == drfs


@pytest.mark.parametrize("url", ["/api/v1/items/?search=READ&page=2", "/api/v1/items/?search=READ&page=last"])
def test_later_pages_are_the_same_as_drfs(api, five_items, monkeypatch, url):
    ours, drfs = both_paginations(api, monkeypatch, url, 2)
    assert ours == drfs


def test_an_empty_list_answers_a_count_of_zero(api, in_acme):
    body = api.get("/api/v1/items/?search=NOTHING-LIKE-THIS").json()
    assert body == {"count": 0, "next": None, "previous": None, "results": []}


def test_a_page_past_the_end_is_a_404(api, five_items):
    assert api.get("/api/v1/items/?search=READ&page=9").status_code == 404


def test_a_filter_named_in_the_query_still_filters(api, five_items):
    ItemFactory(sku="READ-RAW", kind="raw_material")
    body = api.get("/api/v1/items/?kind=raw_material&search=READ").json()
    assert [row["sku"] for row in body["results"]] == ["READ-RAW"]


def test_a_range_filter_is_recognised_by_its_suffixed_names(api, in_acme):
    response = api.get("/api/v1/moves/?created_at_after=not-a-date")
    assert response.status_code == 400
    assert "created_at" in response.json()


def test_an_invalid_filter_value_is_still_a_400(api, in_acme):
    assert api.get("/api/v1/stock-levels/?item=abc").status_code == 400


def test_the_schema_is_generated_once_per_process(api, monkeypatch):
    generated = []
    original = api_schema.SchemaView.generator_class.get_schema

    def counting(self, *args, **kwargs):
        generated.append(1)
        return original(self, *args, **kwargs)

    monkeypatch.setattr(api_schema, "_schemas", {})
    monkeypatch.setattr(api_schema, "_rendered", {})
    monkeypatch.setattr(api_schema.SchemaView.generator_class, "get_schema", counting)
    first, second = api.get("/api/schema/"), api.get("/api/schema/")
    assert (first.status_code, second.status_code) == (200, 200)
    assert first.content == second.content
    assert len(generated) == 1


def test_the_schema_generated_on_another_tenants_host_is_the_same(api, globex_client, monkeypatch):
    """One copy serves every tenant: what each host would generate for itself is the same."""
    monkeypatch.setattr(api_schema, "_schemas", {})
    monkeypatch.setattr(api_schema, "_rendered", {})
    on_acme = api.get("/api/schema/").content
    api_schema._schemas.clear()
    api_schema._rendered.clear()
    assert globex_client.get("/api/schema/").content == on_acme


@pytest.fixture
def documents(in_acme):
    """A stocked item, its moves and a sales order of two lines (every column kind the list endpoints answer)."""
    import datetime

    from django.contrib.auth import get_user_model

    from inventory.services import stock_receive
    from orders.services import sales_order_create
    from tests.inventory.factories import LocationFactory
    from tests.orders.factories import CustomerFactory

    boss = get_user_model().objects.get(username="boss")
    location = LocationFactory()
    from tests.inventory.factories import UnitFactory

    kg = UnitFactory(code="kg", name="Kilogram")  # a fractional quantity (2.5) in a unit that allows one
    bolt, nut = ItemFactory(attributes={"colour": "red"}, uom=kg), ItemFactory(description="", uom=kg)
    for item in (bolt, nut):
        stock_receive(item=item, location=location, quantity="3", user=boss)
    promised = datetime.date.today()
    lines = [{"item": item, "quantity": 1, "unit_price": "0.10", "promised_date": promised} for item in (bolt, nut)]
    return sales_order_create(customer=CustomerFactory(), location=location, user=boss, lines=lines)


def serializers_and_rows():
    from inventory.api.serializers import ItemSerializer, StockLevelSerializer, StockMoveSerializer
    from inventory.models import Item, StockLevel
    from inventory.selectors import move_list
    from orders.api.serializers import SalesOrderSerializer
    from orders.models import SalesOrder

    available = StockLevel.objects.select_related("item", "location")
    return [
        (ItemSerializer, Item.objects.select_related("uom")),
        (StockLevelSerializer, available),
        (StockMoveSerializer, move_list()),
        (SalesOrderSerializer, SalesOrder.objects.all()),
    ]


def test_the_read_path_represents_every_row_as_drfs_serializer_does(documents):
    from rest_framework import serializers

    for serializer_class, rows in serializers_and_rows():
        for row in rows:
            ours = serializer_class(row).data
            drfs = serializers.Serializer.to_representation(serializer_class(row), row)
            assert ours == drfs, serializer_class.__name__


def test_fields_built_once_are_the_fields_drf_builds(documents):
    from rest_framework import serializers

    for serializer_class, _ in serializers_and_rows():
        serializer_class().fields  # noqa: B018 - the first build is kept
        ours = serializer_class().get_fields()
        drfs = serializers.ModelSerializer.get_fields(serializer_class())
        assert repr(ours) == repr(drfs), serializer_class.__name__


@pytest.mark.parametrize("accept", ["application/vnd.oai.openapi", "application/vnd.oai.openapi+json"])
def test_a_kept_schema_answers_the_same_bytes_and_headers_in_each_format(api, monkeypatch, accept):
    monkeypatch.setattr(api_schema, "_schemas", {})
    monkeypatch.setattr(api_schema, "_rendered", {})
    first, kept = (api.get("/api/schema/", HTTP_ACCEPT=accept) for _ in range(2))
    assert kept.content == first.content
    for header in ("Content-Type", "Content-Disposition", "Vary", "Allow"):
        assert kept.get(header) == first.get(header), header
    assert first["Content-Type"].startswith(accept)


def test_each_serializer_instance_binds_its_own_copy_of_every_field(documents):
    from orders.api.serializers import SalesOrderSerializer

    first, second = SalesOrderSerializer(), SalesOrderSerializer()
    for name, field in first.fields.items():
        assert field is not second.fields[name], name
        assert field.parent is first and second.fields[name].parent is second, name
    assert first.fields["lines"].child is not second.fields["lines"].child  # nested serializers: deep copies


DECIMALS = ["0", "0.0000", "-0.0000", "1.5", "123.4500", "0.00005", "0.00015", "99999999999999.9999", "1E+3", "2.5E-7"]


@pytest.mark.parametrize("places", [0, 2, 4])
def test_a_columns_decimal_is_written_as_drfs_field_writes_it(places):
    import decimal

    from core.api_fields import PlainDecimalField, representation

    field = PlainDecimalField(max_digits=18, decimal_places=places, read_only=True)
    represent = representation(field)
    assert represent is not field.to_representation  # the quick path is the one compared
    for text in DECIMALS:
        assert represent(decimal.Decimal(text)) == field.to_representation(decimal.Decimal(text)), text
    assert represent(3) == field.to_representation(3)  # not a Decimal: DRF's own path


def test_a_decimal_too_long_for_its_field_fails_as_in_drf():
    import decimal

    from core.api_fields import PlainDecimalField, representation

    field = PlainDecimalField(max_digits=4, decimal_places=2, read_only=True)
    with pytest.raises(decimal.InvalidOperation):
        field.to_representation(decimal.Decimal("12345.5"))
    with pytest.raises(decimal.InvalidOperation):
        representation(field)(decimal.Decimal("12345.5"))


@pytest.mark.parametrize("zone", ["UTC", "Europe/Berlin", "America/St_Johns"])
def test_a_columns_datetime_is_written_as_drfs_field_writes_it_in_the_active_time_zone(zone):
    import datetime
    import zoneinfo

    from django.utils import timezone
    from rest_framework import serializers

    from core.api_fields import representation

    moments = [
        datetime.datetime(2026, 3, 29, 0, 30, tzinfo=datetime.UTC),
        datetime.datetime(2026, 10, 25, 1, 30, 15, 250, tzinfo=datetime.UTC),
        datetime.datetime(2026, 6, 1, 12, 0, tzinfo=zoneinfo.ZoneInfo("Asia/Kolkata")),
        datetime.datetime(2026, 6, 1, 12, 0),  # naive: DRF makes it aware
    ]
    with timezone.override(zoneinfo.ZoneInfo(zone)):
        field = serializers.DateTimeField(read_only=True)
        represent = representation(field)
        assert represent is not field.to_representation
        for moment in moments:
            assert represent(moment) == field.to_representation(moment), moment


def test_a_columns_date_is_written_as_drfs_field_writes_it():
    import datetime

    from rest_framework import serializers

    from core.api_fields import representation

    field = serializers.DateField(read_only=True)
    represent = representation(field)
    assert represent is not field.to_representation
    for value in (datetime.date(2026, 1, 2), datetime.date(1, 1, 1), "2026-01-02"):
        assert represent(value) == field.to_representation(value), value


def test_a_datetime_field_with_its_own_format_keeps_drfs_path():
    from rest_framework import serializers

    from core.api_fields import representation

    field = serializers.DateTimeField(format="%Y-%m-%d", read_only=True)
    assert representation(field) == field.to_representation


@pytest.mark.parametrize("url", ["/api/v1/items/", "/api/v1/stock-levels/", "/api/v1/moves/"])
@pytest.mark.parametrize("page_size", [1, 2, 50])
def test_an_unfiltered_inventory_list_answers_the_same_bytes_as_the_queryset_path(
    api, documents, monkeypatch, url, page_size
):
    monkeypatch.setattr(PageNumberPagination, "page_size", page_size)
    prepared = api.get(url)
    assert prepared.status_code == 200
    assert prepared.content == api.get(f"{url}?page=1").content


@pytest.mark.parametrize("url", ["/api/v1/items/", "/api/v1/stock-levels/", "/api/v1/moves/"])
def test_the_prepared_first_page_answers_each_tenant_its_own_rows(api, documents, globex, globex_client, url):
    from django.contrib.auth import get_user_model
    from django_tenants.utils import tenant_context

    from inventory.services import stock_receive
    from tests.inventory.factories import LocationFactory

    with tenant_context(globex):
        boss = get_user_model().objects.get(username="boss")
        stock_receive(item=ItemFactory(sku="GLOBEX-ONLY"), location=LocationFactory(), quantity="1", user=boss)
        globex_client.force_login(boss)
    theirs = globex_client.get(url).json()
    assert theirs["count"] == 1
    assert "GLOBEX-ONLY" in globex_client.get(url).content.decode()
    assert "GLOBEX-ONLY" not in api.get(url).content.decode()


def test_an_order_read_with_joined_columns_answers_as_one_read_through_its_relations(documents):
    from orders.api.serializers import SalesOrderSerializer
    from orders.api.views import SalesOrderViewSet
    from orders.models import SalesOrder

    joined = SalesOrderViewSet.queryset.get(pk=documents.pk)
    assert "created_by_username" in joined.__dict__
    assert all("item_sku" in line.__dict__ for line in joined.lines.all())
    plain = SalesOrder.objects.get(pk=documents.pk)
    assert SalesOrderSerializer(joined).data == SalesOrderSerializer(plain).data
    assert SalesOrderSerializer(plain).data["created_by"] == "boss"
