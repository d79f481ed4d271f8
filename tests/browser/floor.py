"""Committed data the browser scenarios start from (created through the services, as a person would)."""

from __future__ import annotations

import datetime
import uuid
from dataclasses import dataclass
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.utils import timezone

from inventory.models import Item, UnitOfMeasure
from inventory.services import item_create
from orders.models import Partner, SalesOrder
from orders.services import partner_create, sales_order_confirm, sales_order_create
from production.services import bom_create


@dataclass
class Floor:
    raw: Item
    bracket: Item
    customer: Partner
    order: SalesOrder


def seed_floor() -> Floor:
    """In the current tenant: a raw material, a bracket made of 2 of it, and a sales order for 3 brackets promised two
    days ago and confirmed with nothing in stock (so it is late until shipped)."""
    suffix = uuid.uuid4().hex[:6].upper()
    boss = get_user_model().objects.get(username="boss")
    pcs = UnitOfMeasure.objects.get(code="pcs")
    raw = item_create(
        sku=f"STEEL-{suffix}", name="Steel sheet 2 mm", uom=pcs, user=boss, kind="raw_material",
        standard_cost=Decimal("2.00"),
    )  # fmt: skip
    bracket = item_create(
        sku=f"BRKT-{suffix}", name="Mounting bracket", uom=pcs, user=boss, kind="finished_good",
        standard_cost=Decimal("25.00"), reorder_point=Decimal(5), reorder_quantity=Decimal(10), procurement="make",
    )  # fmt: skip
    bom_create(item=bracket, lines=[{"component": raw, "quantity": 2}], user=boss)
    customer = partner_create(code=f"NW-{suffix}", name="Northwind Traders", user=boss, is_customer=True)
    promised = timezone.localdate() - datetime.timedelta(days=2)
    order = sales_order_create(
        customer=customer,
        lines=[{"item": bracket, "quantity": 3, "unit_price": "40", "promised_date": promised}],
        user=boss,
    )
    sales_order_confirm(order=order, user=boss)  # nothing in stock: nothing reserved, the line stays open
    return Floor(raw, bracket, customer, order)
