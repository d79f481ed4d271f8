"""Factories for orders tests. Use them inside a tenant schema (the in_acme / in_globex fixtures)."""

import datetime
from decimal import Decimal

import factory
from django.utils import timezone

from orders.models import Partner, SalesOrder, SalesOrderLine
from tests.inventory.factories import ItemFactory, LocationFactory, UserFactory

__all__ = [
    "CustomerFactory",
    "ItemFactory",
    "LocationFactory",
    "SalesOrderFactory",
    "SalesOrderLineFactory",
    "SupplierFactory",
    "UserFactory",
]


class CustomerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Partner

    code = factory.Sequence(lambda n: f"CUST-{n:04d}")
    name = factory.Sequence(lambda n: f"Customer {n}")
    is_customer = True


class SupplierFactory(CustomerFactory):
    code = factory.Sequence(lambda n: f"SUPP-{n:04d}")
    name = factory.Sequence(lambda n: f"Supplier {n}")
    is_customer = False
    is_supplier = True
    default_lead_time_days = 7


class SalesOrderFactory(factory.django.DjangoModelFactory):
    """A draft sales order; add lines with SalesOrderLineFactory or use services to build real ones."""

    class Meta:
        model = SalesOrder

    customer = factory.SubFactory(CustomerFactory)
    location = factory.SubFactory(LocationFactory)


class SalesOrderLineFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SalesOrderLine

    order = factory.SubFactory(SalesOrderFactory)
    item = factory.SubFactory(ItemFactory)
    quantity = Decimal(10)
    unit_price = Decimal("2.50")
    promised_date = factory.LazyFunction(lambda: timezone.localdate() + datetime.timedelta(days=14))
