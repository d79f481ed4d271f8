"""A small, believable plant for a demo tenant, written through the apps' services only (seed_demo calls it).

About 100 items on three levels (finished goods -> sub-assemblies -> bought parts and materials, a few materials
lot-tracked, one finished good serial-tracked), their BOMs, customers and suppliers (each bought item priced by two
suppliers, one preferred), stock moves, sales and purchase orders in every state (some late), work orders in every
state and one MRP run with planned orders (its planned buys convert: every bought item has a preferred supplier).

The plant is drawn from a fixed random seed, so every tenant and every run gets the same one. It is written in one
transaction, all or nothing, so its first item (MARKER_SKU) says the whole plant is there: a second run changes
nothing.

Stock history: the stock services stamp a move with the time it is posted and take no date (the ledger is
immutable and its trigger refuses later edits), so the "60 days" are told by the references (`day -N`) and the
order dates, while the moves themselves are posted now, oldest first.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from inventory.models import Item, Location, StockMove, UnitOfMeasure
from inventory.services import item_create, location_create, stock_adjust, stock_issue, stock_receive, stock_transfer
from orders.services import (
    partner_create,
    purchase_order_create,
    purchase_order_send,
    receipt_create,
    sales_order_confirm,
    sales_order_create,
    shipment_create,
    supplier_item_create,
)
from planning.runs import mrp_run_execute
from planning.services import mrp_run_create
from production.services import (
    bom_create,
    work_order_cancel,
    work_order_complete,
    work_order_create,
    work_order_release,
    work_order_start,
)

SEED = 17
MARKER_SKU = "FG-100"
HISTORY_DAYS = 60

_FINISHED = [
    ("Pump P-100", "pcs"), ("Pump P-200", "pcs"), ("Valve V-10", "pcs"), ("Valve V-20", "pcs"),
    ("Mixer M-5", "pcs"), ("Compressor C-1", "pcs"), ("Filter unit F-3", "pcs"),
]  # fmt: skip
_SERIAL_FINISHED = ("Control cabinet CC-9 (serialised)", "pcs")
_SUBASSEMBLIES = [
    "Motor assembly", "Impeller assembly", "Housing assembly", "Seal kit", "Valve body", "Actuator", "Gearbox",
    "Control board", "Frame", "Piping set", "Cover plate", "Shaft assembly", "Bearing block", "Cable harness",
    "Filter cartridge", "Base plate", "Fan assembly", "Coupling", "Manifold", "Sensor pack",
]  # fmt: skip
_PARTS = [
    "Bolt M8", "Bolt M10", "Nut M8", "Nut M10", "Washer 8", "Washer 10", "Screw M4", "Screw M5", "O-ring 20",
    "O-ring 32", "Bearing 6204", "Bearing 6305", "Gasket A", "Gasket B", "Spring S1", "Pin 6x30", "Clip C2",
    "Bushing 12", "Key 5x5", "Circlip 20", "Motor 0.75 kW", "Motor 1.5 kW", "Capacitor 10uF", "Relay 24V",
    "PCB blank", "Connector 4p", "Connector 8p", "Fuse 2A", "Switch", "Display 2in", "Sensor PT100", "Fan 80mm",
    "Cable gland", "Terminal block", "Label set", "Hose clamp", "Filter media", "Impeller casting", "Shaft blank",
    "Pulley", "Belt A30", "Hinge", "Handle", "Latch", "Spacer 10", "Rivet 4", "Grommet 12", "Knob", "Foot pad",
    "Check valve", "Pressure gauge", "Flow meter", "Bracket L", "Bracket Z", "Cable lug", "Nameplate",
]  # fmt: skip
_MATERIALS = [  # (name, unit, lot-tracked)
    ("Steel sheet 2mm", "kg", True), ("Aluminium bar", "kg", True), ("Copper wire", "m", False),
    ("Epoxy resin", "kg", True), ("Rubber strip", "m", False), ("Steel tube 25mm", "m", False),
    ("Paint grey", "kg", False), ("Cable 3x1.5", "m", False),
]  # fmt: skip
_CONSUMABLES = [("Grease", "kg"), ("Thread locker", "pcs"), ("Cleaning cloth", "pcs"), ("Packing box", "pcs"),
                ("Pallet", "pcs"), ("Stretch film", "m"), ("Solder wire", "kg"), ("Cable tie", "pcs")]  # fmt: skip
_CUSTOMERS = ["Northwind Water", "Blue River Utilities", "Harbor Foods", "Summit Breweries", "Delta Chemicals",
              "Oakridge Farms"]  # fmt: skip
_SUPPLIERS = [("Steelworks Ltd", 10), ("Precision Parts Co", 7), ("Volt Electric", 14), ("Seal & Gasket GmbH", 5),
              ("Fastener Depot", 3)]  # fmt: skip


@dataclass
class Plant:
    """What the seed wrote, by role (the tests and the summary read it)."""

    finished: list[Item] = field(default_factory=list)
    serial: Item | None = None
    subassemblies: list[Item] = field(default_factory=list)
    parts: list[Item] = field(default_factory=list)
    materials: list[Item] = field(default_factory=list)
    consumables: list[Item] = field(default_factory=list)
    moves: int = 0

    @property
    def item_count(self) -> int:
        groups = (self.finished, self.subassemblies, self.parts, self.materials, self.consumables)
        return sum(map(len, groups)) + (self.serial is not None)


def plant_exists() -> bool:
    return Item.objects.filter(sku=MARKER_SKU).exists()


def seed_plant(*, user, today: date | None = None) -> Plant | None:
    """Write the demo plant into the current tenant as `user` (its administrator); None if it is there already."""
    if plant_exists():
        return None
    today = today or timezone.localdate()
    rng = random.Random(SEED)
    with transaction.atomic():
        plant = _master_data(rng, user)
        store, line = _locations(user)
        customers, suppliers = _partners(user)
        _supplier_prices(plant, user, suppliers)
        _history(rng, plant, user, today, store, line)
        _purchase_orders(rng, plant, user, today, suppliers)
        _work_orders(rng, plant, user, today)
        _sales_orders(rng, plant, user, today, customers)
        run = mrp_run_create(user=user, horizon_days=90)
    # Computed here rather than left to the worker, so the demo opens on a finished plan (the queued task then finds
    # the run done and does nothing).
    mrp_run_execute(run_id=run.pk)
    plant.moves = StockMove.objects.count()  # with the work orders' and deliveries' own moves
    return plant


def _money(value: float) -> Decimal:
    return Decimal(str(round(value, 2)))


def _master_data(rng: random.Random, user) -> Plant:
    units = {unit.code: unit for unit in UnitOfMeasure.objects.filter(code__in=["pcs", "kg", "m"])}
    plant = Plant()
    for n, (name, unit) in enumerate(_FINISHED):
        plant.finished.append(
            item_create(
                sku=f"FG-{100 + n * 10}", name=name, uom=units[unit], user=user, kind=Item.Kind.FINISHED_GOOD,
                procurement=Item.Procurement.MAKE, lot_sizing=Item.LotSizing.LOT_FOR_LOT, lead_time_days=3,
                safety_stock=Decimal(rng.choice([0, 2, 5])), standard_cost=_money(rng.uniform(250, 1200)),
            )
        )  # fmt: skip
    plant.serial = item_create(
        sku="FG-900", name=_SERIAL_FINISHED[0], uom=units["pcs"], user=user, kind=Item.Kind.FINISHED_GOOD,
        tracking=Item.Tracking.SERIAL, procurement=Item.Procurement.MAKE, lead_time_days=5,
        standard_cost=Decimal("2400.00"),
    )  # fmt: skip
    for n, name in enumerate(_SUBASSEMBLIES):
        plant.subassemblies.append(
            item_create(
                sku=f"SA-{200 + n}", name=name, uom=units["pcs"], user=user, kind=Item.Kind.COMPONENT,
                procurement=Item.Procurement.MAKE, lead_time_days=rng.choice([1, 2, 3]),
                lot_sizing=Item.LotSizing.FIXED if n % 4 == 0 else Item.LotSizing.LOT_FOR_LOT,
                lot_quantity=Decimal(20) if n % 4 == 0 else Decimal(0),
                standard_cost=_money(rng.uniform(40, 300)),
            )
        )  # fmt: skip
    for n, name in enumerate(_PARTS):
        sizing = (Item.LotSizing.MIN_MULTIPLE, Item.LotSizing.PERIODS, Item.LotSizing.LOT_FOR_LOT)[n % 3]
        plant.parts.append(
            item_create(
                sku=f"RM-{300 + n}", name=name, uom=units["pcs"], user=user, kind=Item.Kind.COMPONENT,
                procurement=Item.Procurement.BUY, lead_time_days=rng.choice([3, 5, 7, 10, 14]), lot_sizing=sizing,
                lot_minimum=Decimal(50) if n % 3 == 0 else Decimal(0),
                lot_multiple=Decimal(25) if n % 3 == 0 else Decimal(0),
                lot_period_days=14,
                safety_stock=Decimal(rng.choice([0, 10, 20, 50])), reorder_point=Decimal(rng.choice([0, 25, 40])),
                reorder_quantity=Decimal(100), standard_cost=_money(rng.uniform(0.05, 60)),
            )
        )  # fmt: skip
    for n, (name, unit, lot) in enumerate(_MATERIALS):
        plant.materials.append(
            item_create(
                sku=f"MAT-{400 + n}", name=name, uom=units[unit], user=user, kind=Item.Kind.RAW_MATERIAL,
                tracking=Item.Tracking.LOT if lot else Item.Tracking.NONE, procurement=Item.Procurement.BUY,
                lead_time_days=rng.choice([7, 10, 14]), safety_stock=Decimal("25.000"),
                standard_cost=_money(rng.uniform(1, 15)),
            )
        )  # fmt: skip
    for n, (name, unit) in enumerate(_CONSUMABLES):
        plant.consumables.append(
            item_create(
                sku=f"CON-{500 + n}", name=name, uom=units[unit], user=user, kind=Item.Kind.CONSUMABLE,
                procurement=Item.Procurement.BUY, lead_time_days=3, reorder_point=Decimal(10),
                reorder_quantity=Decimal(50), standard_cost=_money(rng.uniform(0.5, 20)),
            )
        )  # fmt: skip
    _boms(rng, plant, user)
    return plant


def _quantity(item: Item, low: float, high: float, rng: random.Random) -> Decimal:
    if item.uom.decimals == 0:
        return Decimal(rng.randint(int(low), int(high)))
    return Decimal(str(round(rng.uniform(low, high), 1)))


def _boms(rng: random.Random, plant: Plant, user) -> None:
    """Level 2 first (sub-assemblies of parts and materials), then level 1 (finished goods of sub-assemblies plus a
    few parts): three levels below every finished good."""
    bought = plant.parts + plant.materials
    for sub in plant.subassemblies:
        components = rng.sample(bought, 4)
        lines = [{"component": c, "quantity": _quantity(c, 1, 4, rng)} for c in components]
        bom_create(item=sub, lines=lines, user=user)
    assert plant.serial is not None
    for item in [*plant.finished, plant.serial]:
        components = rng.sample(plant.subassemblies, 3) + rng.sample(plant.parts, 2)
        lines = [{"component": c, "quantity": _quantity(c, 1, 3, rng)} for c in components]
        bom_create(item=item, lines=lines, user=user)


def _locations(user) -> tuple[Location, Location]:
    store = location_create(code="STORES", name="Main stores", user=user, kind=Location.Kind.WAREHOUSE)
    line = location_create(code="LINE-1", name="Assembly line 1", user=user)
    location_create(code="QC", name="Quality hold", user=user)
    return store, line


def _partners(user):
    customers = [
        partner_create(code=f"C-{n + 1:03d}", name=name, user=user, is_customer=True, email=f"buyer{n + 1}@example.com")
        for n, name in enumerate(_CUSTOMERS)
    ]
    suppliers = [
        partner_create(
            code=f"S-{n + 1:03d}", name=name, user=user, is_supplier=True, default_lead_time_days=lead,
            email=f"sales{n + 1}@example.com",
        )
        for n, (name, lead) in enumerate(_SUPPLIERS)
    ]  # fmt: skip
    return customers, suppliers


def _supplier_prices(plant: Plant, user, suppliers) -> None:
    """Each bought item from two suppliers: the preferred one at its standard cost, the other 8% dearer, so the demo
    MRP run's planned buys convert to purchase orders."""
    bought = plant.parts + plant.materials + plant.consumables
    for n, item in enumerate(bought):
        for k, preferred in ((0, True), (1, False)):
            supplier = suppliers[(n + k) % len(suppliers)]
            price = item.standard_cost if preferred else _money(float(item.standard_cost) * 1.08)
            supplier_item_create(
                supplier=supplier, item=item, unit_price=price, user=user,
                lead_time_days=max(item.lead_time_days, supplier.default_lead_time_days), is_preferred=preferred,
            )  # fmt: skip


def _receiving() -> Location:
    return Location.objects.get(is_default_receiving=True)


def _lots(item: Item, quantity: Decimal, tag: str, today: date) -> list[dict] | None:
    if item.tracking == Item.Tracking.LOT:
        return [{"code": f"L{tag}-{item.sku}", "quantity": quantity, "expiry_date": today + timedelta(days=365)}]
    return None


def _history(rng: random.Random, plant: Plant, user, today: date, store: Location, line: Location) -> None:
    """Opening balances on day -60, then weekly: receipts, transfers to the line, issues and a stock count."""
    dock = _receiving()
    bought = plant.parts + plant.materials + plant.consumables
    for item in bought:
        quantity = _quantity(item, 150, 400, rng)
        stock_receive(
            item=item, location=dock, quantity=quantity, user=user, reference=f"opening balance (day -{HISTORY_DAYS})",
            lots=_lots(item, quantity, "0", today),
        )  # fmt: skip
        plant.moves += 1
    assert plant.serial is not None
    for n in range(3):
        serial = f"SN-CC9-{n + 1:04d}"
        stock_receive(
            item=plant.serial, location=dock, quantity=1, user=user, reference="opening balance", lots=[serial]
        )
        plant.moves += 1
    for day in range(HISTORY_DAYS - 7, 0, -7):
        for item in rng.sample(bought, 6):
            quantity = _quantity(item, 5, 20, rng)
            stock_transfer(
                item=item, from_location=dock, to_location=store, quantity=quantity, user=user,
                reference=f"put-away (day -{day})",
            )  # fmt: skip
            stock_issue(
                item=item, location=store, quantity=quantity, user=user, reference=f"consumed on line (day -{day})"
            )
            plant.moves += 2
        for item in rng.sample(plant.parts, 3):
            quantity = _quantity(item, 20, 80, rng)
            stock_receive(item=item, location=dock, quantity=quantity, user=user, reference=f"delivery (day -{day})")
            plant.moves += 1
    for item in rng.sample(plant.parts, 4):
        level = item.levels.get(location=dock)
        counted = level.on_hand - Decimal(rng.randint(1, 3))
        stock_adjust(item=item, location=dock, counted_quantity=counted, user=user, reference="cycle count (day -3)")
        plant.moves += 1


def _purchase_orders(rng: random.Random, plant: Plant, user, today: date, suppliers) -> None:
    """Received, partly received, sent late, sent on time and a draft."""
    bought = plant.parts + plant.materials
    for n, days in enumerate((-40, -20, -6, -2, 5, 12, 20)):
        supplier = suppliers[n % len(suppliers)]
        items = rng.sample(bought, 3)
        lines = [
            {"item": i, "quantity": _quantity(i, 50, 200, rng), "unit_cost": i.standard_cost,
             "expected_date": today + timedelta(days=days)}
            for i in items
        ]  # fmt: skip
        order = purchase_order_create(supplier=supplier, lines=lines, user=user, supplier_reference=f"Q-{7100 + n}")
        if n == 6:
            continue  # a draft
        purchase_order_send(order=order, user=user)
        received = list(order.lines.all().order_by("pk"))
        if n == 0:  # received in full
            portion = [{"line": ln, "quantity": ln.quantity, "lots": _lots(ln.item, ln.quantity, "1", today)}
                       for ln in received]  # fmt: skip
        elif n == 1:  # partly received
            first = received[0]
            half = (first.quantity / 2).quantize(Decimal(1))
            portion = [{"line": first, "quantity": half, "lots": _lots(first.item, half, "2", today)}]
        else:
            continue  # sent; n 2 and 3 are late
        receipt_create(order=order, lines=portion, user=user)
        plant.moves += len(portion)


def _work_orders(rng: random.Random, plant: Plant, user, today: date) -> None:
    """Done, in progress (one partly completed), released, draft and cancelled work orders."""
    subs = plant.subassemblies
    done = [(subs[0], 10, -30), (subs[1], 8, -21), (subs[2], 12, -14), (subs[3], 6, -7)]
    for item, quantity, days in done:
        wo = work_order_create(item=item, quantity=quantity, due_date=today + timedelta(days=days), user=user)
        work_order_release(work_order=wo, user=user)
        work_order_start(work_order=wo, user=user)
        work_order_complete(work_order=wo, user=user)
    for n, finished in enumerate(plant.finished[:2]):  # released only if their sub-assemblies are in stock
        wo = work_order_create(item=finished, quantity=2, due_date=today + timedelta(days=3 + n), user=user)
        if _can_build(wo.item, 2):
            work_order_release(work_order=wo, user=user)
    for item, quantity, days, state in (
        (subs[4], 10, 2, "in_progress"), (subs[5], 6, -1, "in_progress_partial"), (subs[6], 5, 4, "released"),
        (subs[7], 4, 6, "released"), (subs[8], 20, 10, "draft"), (subs[9], 15, 14, "draft"), (subs[10], 5, 8, "cancel"),
    ):  # fmt: skip
        wo = work_order_create(item=item, quantity=quantity, due_date=today + timedelta(days=days), user=user)
        if state == "draft":
            continue
        work_order_release(work_order=wo, user=user)
        if state == "cancel":
            work_order_cancel(work_order=wo, user=user)
            continue
        if state.startswith("in_progress"):
            work_order_start(work_order=wo, user=user)
        if state == "in_progress_partial":
            work_order_complete(work_order=wo, user=user, quantity=2)
    # Finished goods in stock for the sales orders: opening balances of each (non-serial) finished good.
    dock = _receiving()
    for item in plant.finished:
        stock_receive(item=item, location=dock, quantity=rng.randint(3, 12), user=user, reference="opening balance")
        plant.moves += 1


def _can_build(item: Item, quantity: int) -> bool:
    bom = item.boms.filter(is_active=True).first()
    if bom is None:
        return False
    dock = _receiving()
    for line in bom.lines.select_related("component"):
        level = line.component.levels.filter(location=dock).first()
        if level is None or level.on_hand - level.reserved < line.quantity * quantity:
            return False
    return True


def _sales_orders(rng: random.Random, plant: Plant, user, today: date, customers) -> None:
    """Shipped, partly shipped, confirmed and late, confirmed on time, and drafts."""
    for n, days in enumerate((-35, -18, -9, -4, -1, 3, 7, 14, 21, 28)):
        customer = customers[n % len(customers)]
        items = rng.sample(plant.finished, 2)
        lines = [
            {"item": i, "quantity": rng.randint(1, 4), "unit_price": _money(float(i.standard_cost) * 1.35),
             "promised_date": today + timedelta(days=days)}
            for i in items
        ]  # fmt: skip
        order = sales_order_create(customer=customer, lines=lines, user=user, customer_reference=f"PO-{88100 + n}")
        if n >= 8:
            continue  # drafts
        sales_order_confirm(order=order, user=user)
        order_lines = list(order.lines.all().order_by("pk"))
        if n == 0:
            portion = [{"line": ln, "quantity": ln.reserved_quantity} for ln in order_lines if ln.reserved_quantity]
        elif n == 1:
            portion = [{"line": ln, "quantity": ln.reserved_quantity} for ln in order_lines[:1] if ln.reserved_quantity]
        else:
            continue  # open; n 2..4 are late
        if portion:
            shipment_create(order=order, lines=portion, user=user)
            plant.moves += len(portion)


def demo_admin():
    """The tenant's first administrator, who the demo data is written as."""
    return get_user_model().objects.filter(is_superuser=True).order_by("pk").first()
