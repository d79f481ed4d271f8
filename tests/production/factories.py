"""Factories for production tests. Use them inside a tenant schema (the in_acme / in_globex fixtures)."""

import datetime
from decimal import Decimal

import factory

from production.models import Bom, BomLine, WorkOrder
from tests.inventory.factories import ItemFactory


class BomFactory(factory.django.DjangoModelFactory):
    """A bare BOM row; tests that check the rules build BOMs through `production.services.bom_create`."""

    class Meta:
        model = Bom

    item = factory.SubFactory(ItemFactory, kind="finished_good")
    version = factory.Sequence(lambda n: f"v{n}")
    is_active = True


class BomLineFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = BomLine

    bom = factory.SubFactory(BomFactory)
    component = factory.SubFactory(ItemFactory)
    quantity = Decimal(1)
    scrap_percent = Decimal(0)
    position = factory.Sequence(lambda n: n)


class WorkOrderFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = WorkOrder

    number = factory.Sequence(lambda n: f"WO-T{n:05d}")
    item = factory.SubFactory(ItemFactory, kind="finished_good")
    quantity = Decimal(1)
    due_date = factory.LazyFunction(lambda: datetime.date(2027, 1, 31))
