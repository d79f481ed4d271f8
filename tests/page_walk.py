"""Every page of the tenant UI, and data that makes each of them show rows: shared by the query-count pins
(tests/test_page_queries.py) and bench/pages.py, which walks the same pages on a large tenant.

`grow(user=..., rows=n, tag=...)` adds, through the services, n of each thing a page lists (items with stock and
moves, a lot-tracked item's lots, partners, sales and purchase orders with n lines, a BOM of n lines and its work
orders, audit rows as a side effect) plus an MRP run and an import over them; `pages(ids)` names each page, with the
objects `grow` returned. Called twice, with more rows the second time, a page whose query count stays the same does
not run a query per row.
"""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.utils import timezone

ITEM_LIST_PAGE_2 = 60  # more items than a page of the item list holds (core PAGE_SIZE is 50)


def grow(*, user, rows: int, tag: str) -> dict[str, int]:
    """`rows` of everything (at least ITEM_LIST_PAGE_2 items overall across calls is the caller's business), as
    `user`; returns the ids the pages name: the last-made of each kind, whose size grows with `rows`."""
    from inventory.models import Location, UnitOfMeasure
    from inventory.services import (
        item_create,
        item_import_create,
        location_create,
        stock_issue,
        stock_receive,
        stock_transfer,
    )
    from orders.services import (
        partner_create,
        purchase_order_create,
        purchase_order_send,
        receipt_create,
        sales_order_confirm,
        sales_order_create,
        shipment_create,
    )
    from planning.runs import mrp_run_execute
    from planning.services import mrp_run_create
    from production.services import bom_create, work_order_create, work_order_release

    today = timezone.localdate()
    pcs = UnitOfMeasure.objects.get(code="pcs")
    dock = Location.objects.get(is_default_receiving=True)
    shelf = location_create(code=f"SH-{tag}", name=f"Shelf {tag}", user=user)
    items = [
        item_create(
            sku=f"P-{tag}-{n:04d}", name=f"Part {tag} {n}", uom=pcs, user=user, standard_cost="2.50",
            procurement="buy", safety_stock=Decimal(5),
        )
        for n in range(rows)
    ]  # fmt: skip
    for item in items:
        stock_receive(item=item, location=dock, quantity=100, user=user, reference=f"in {tag}")
        stock_transfer(item=item, from_location=dock, to_location=shelf, quantity=10, user=user, reference="put away")
    hub = items[0]
    for _ in range(rows):  # the item page's ledger grows with `rows`
        stock_issue(item=hub, location=dock, quantity=1, user=user, reference=f"out {tag}")
    tracked = item_create(sku=f"L-{tag}", name=f"Lotted {tag}", uom=pcs, user=user, tracking="lot")
    lots = [{"code": f"LOT-{tag}-{n}", "quantity": 2, "supplier_lot": f"S{n}"} for n in range(rows)]
    stock_receive(item=tracked, location=dock, quantity=2 * rows, user=user, reference=f"lots {tag}", lots=lots)
    product = item_create(sku=f"F-{tag}", name=f"Product {tag}", uom=pcs, user=user, procurement="make")
    bom = bom_create(item=product, lines=[{"component": item, "quantity": 1} for item in items], user=user)
    work_order = work_order_create(item=product, quantity=2, due_date=today, user=user)
    work_order_release(work_order=work_order, user=user)
    draft_wo = work_order_create(item=product, quantity=rows, due_date=today + datetime.timedelta(days=5), user=user)
    customer = partner_create(code=f"C-{tag}", name=f"Customer {tag}", user=user, is_customer=True)
    supplier = partner_create(code=f"S-{tag}", name=f"Supplier {tag}", user=user, is_supplier=True)
    late = today - datetime.timedelta(days=3)
    for n in range(rows):
        partner_create(code=f"X-{tag}-{n}", name=f"Partner {tag} {n}", user=user, is_customer=True, is_supplier=True)
    sale = sales_order_create(
        customer=customer,
        user=user,
        lines=[{"item": item, "quantity": 1, "unit_price": "4.00", "promised_date": late} for item in items],
    )
    sales_order_confirm(order=sale, user=user)
    shipment_create(order=sale, lines=[{"line": sale.lines.order_by("pk")[0], "quantity": 1}], user=user)
    purchase = purchase_order_create(
        supplier=supplier,
        user=user,
        lines=[{"item": item, "quantity": 5, "unit_cost": "2.00", "expected_date": late} for item in items],
    )
    purchase_order_send(order=purchase, user=user)
    first = purchase.lines.order_by("pk").first()
    receipt_create(order=purchase, lines=[{"line": first, "quantity": 1}], user=user)
    draft_sale = sales_order_create(
        customer=customer,
        user=user,
        lines=[{"item": item, "quantity": 1, "unit_price": "4.00", "promised_date": today} for item in items],
    )
    draft_purchase = purchase_order_create(
        supplier=supplier,
        user=user,
        lines=[{"item": item, "quantity": 5, "unit_cost": "2.00", "expected_date": today} for item in items],
    )
    csv = "sku,name,uom\n" + "".join(f"I-{tag}-{n},Imported {n},pcs\n" for n in range(rows))
    job = item_import_create(file_name=f"{tag}.csv", data=csv.encode(), user=user)
    run = mrp_run_create(user=user)
    mrp_run_execute(run_id=run.pk)
    lot = tracked.lots.order_by("pk")[0]
    return {
        "item": hub.pk, "tracked": tracked.pk, "lot": lot.pk, "location": shelf.pk, "partner": customer.pk,
        "sales": sale.pk, "purchase": purchase.pk, "bom": bom.pk, "product": product.pk, "wo": work_order.pk,
        "draft_wo": draft_wo.pk, "draft_sales": draft_sale.pk, "draft_purchase": draft_purchase.pk, "run": run.pk,
        "import": job.pk, "user": user.pk,
    }  # fmt: skip


def pages(ids: dict[str, int]) -> list[tuple[str, str]]:
    """(name, URL) of every page of the tenant UI, for an administrator: lists (filtered, sorted, page 2), details,
    authoring forms (new and edit), reports."""
    return [
        ("dashboard", "/"),
        ("item-list", "/inventory/"),
        ("item-list-search", "/inventory/?q=P-"),
        ("item-list-sorted", "/inventory/?sort=-on_hand"),
        ("item-list-page-2", "/inventory/?page=2"),
        ("item-page", f"/inventory/items/{ids['item']}/"),
        ("item-ledger-page-2", f"/inventory/items/{ids['item']}/?page=2"),
        ("item-new", "/inventory/items/new/"),
        ("item-edit", f"/inventory/items/{ids['item']}/edit/"),
        ("item-picker", "/inventory/items/pick/?q=P-"),
        ("stock-receive", f"/inventory/stock/receive/?item={ids['item']}"),
        ("locations", "/inventory/locations/"),
        ("location-new", "/inventory/locations/new/"),
        ("location-edit", f"/inventory/locations/{ids['location']}/edit/"),
        ("reorder", "/inventory/reorder/"),
        ("lots", "/inventory/lots/"),
        ("lot-page", f"/inventory/lots/{ids['lot']}/"),
        ("import-new", "/inventory/imports/new/"),
        ("import-page", f"/inventory/imports/{ids['import']}/"),
        ("orders", "/orders/"),
        ("partners", "/orders/partners/"),
        ("partner-new", "/orders/partners/new/"),
        ("partner-edit", f"/orders/partners/{ids['partner']}/edit/"),
        ("sales-orders", "/orders/sales/"),
        ("sales-orders-late", "/orders/sales/?late=on"),
        ("sales-order", f"/orders/sales/{ids['sales']}/"),
        ("sales-order-new", "/orders/sales/new/"),
        ("sales-order-edit", f"/orders/sales/{ids['draft_sales']}/edit/"),
        ("purchase-orders", "/orders/purchases/"),
        ("purchase-order", f"/orders/purchases/{ids['purchase']}/"),
        ("purchase-order-new", "/orders/purchases/new/"),
        ("purchase-order-edit", f"/orders/purchases/{ids['draft_purchase']}/edit/"),
        ("late-shipments", "/orders/late-shipments/"),
        ("supplier-lateness", "/orders/supplier-lateness/"),
        ("work-orders", "/production/"),
        ("work-orders-all", "/production/?state=all"),
        ("work-order", f"/production/work-orders/{ids['wo']}/"),
        ("work-order-new", "/production/work-orders/new/"),
        ("work-order-edit", f"/production/work-orders/{ids['draft_wo']}/edit/"),
        ("boms", "/production/boms/"),
        ("bom", f"/production/boms/{ids['bom']}/"),
        ("bom-new", "/production/boms/new/"),
        ("bom-edit", f"/production/boms/{ids['bom']}/edit/"),
        ("bom-tree", f"/production/items/{ids['product']}/tree/"),
        ("mrp-runs", "/production/mrp/"),
        ("mrp-run", f"/production/mrp/runs/{ids['run']}/"),
        ("mrp-run-week", f"/production/mrp/runs/{ids['run']}/?view=week"),
        ("audit", "/audit/"),
        ("users", "/users/"),
    ]
