"""Factories for inventory tests. Use them inside a tenant schema (the in_acme / in_globex fixtures)."""

from decimal import Decimal

import factory
from django.contrib.auth import get_user_model

from inventory.models import Item, Location, UnitOfMeasure


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"clerk{n}")
    email = factory.LazyAttribute(lambda user: f"{user.username}@example.test")
    password = factory.django.Password("correct-horse-battery")


class UnitFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = UnitOfMeasure
        django_get_or_create = ("code",)

    code = "pcs"
    name = "Pieces"


class ItemFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Item

    sku = factory.Sequence(lambda n: f"SKU-{n:05d}")
    name = factory.Sequence(lambda n: f"Part {n}")
    uom = factory.SubFactory(UnitFactory)
    kind = Item.Kind.COMPONENT
    reorder_point = Decimal(0)
    reorder_quantity = Decimal(0)
    standard_cost = Decimal("1.2500")


class LocationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Location

    code = factory.Sequence(lambda n: f"BIN-{n:04d}")
    name = factory.LazyAttribute(lambda location: f"Bin {location.code}")
    kind = Location.Kind.BIN
