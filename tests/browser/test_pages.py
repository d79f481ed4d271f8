"""Every page of the three apps as one product, checked in the browser's own DOM: it extends the base layout (tenant
banner, navigation, the self-hosted stylesheet applied), has exactly one h1, every form control has a label, and on a
tablet-width window the page itself does not scroll sideways (wide tables scroll inside their own box)."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model

from production.models import Bom, WorkOrder
from production.services import work_order_create
from tests.browser.conftest import screenshot, sign_in
from tests.browser.floor import Floor, seed_floor
from tests.conftest import ADMIN_PASSWORD

CHECK = """
const unlabelled = Array.from(document.querySelectorAll('main input, main select, main textarea'))
  .filter(el => el.type !== 'hidden' && el.type !== 'submit' && el.offsetParent !== null)
  .filter(el => !(el.labels && el.labels.length))
  .filter(el => !el.getAttribute('aria-label') && !el.getAttribute('aria-labelledby'))
  .map(el => el.name || el.id);
const banner = document.querySelector('.tenant-banner');
return {
  h1: document.querySelectorAll('h1').length,
  unlabelled: unlabelled,
  banner: banner ? banner.textContent : '',
  nav: !!document.querySelector('nav.main-nav'),
  styled: banner ? getComputedStyle(banner).display === 'flex' : false,
  overflow: document.documentElement.scrollWidth - window.innerWidth,
};
"""


def _seed() -> tuple[Floor, WorkOrder, Bom]:
    floor = seed_floor()
    boss = get_user_model().objects.get(username="boss")
    work_order = work_order_create(item=floor.bracket, quantity=2, due_date=floor.order.created_at.date(), user=boss)
    return floor, work_order, Bom.objects.get(item=floor.bracket)


@pytest.fixture
def pages(acme, committed) -> list[str]:
    floor, work_order, bom = committed(acme, _seed)
    return [
        "/",
        "/inventory/",
        f"/inventory/?q={floor.raw.sku}",
        f"/inventory/items/{floor.raw.pk}/",
        "/inventory/locations/",
        "/inventory/stock/receive/",
        "/inventory/stock/issue/",
        "/inventory/stock/transfer/",
        "/inventory/stock/adjust/",
        "/inventory/reorder/",
        "/inventory/imports/new/",
        "/production/",
        "/production/work-orders/new/",
        f"/production/work-orders/{work_order.pk}/",
        "/production/boms/",
        f"/production/boms/{bom.pk}/",
        f"/production/items/{floor.bracket.pk}/tree/",
        "/production/mrp/",
        "/orders/",
        "/orders/sales/",
        f"/orders/sales/{floor.order.pk}/",
        "/orders/purchases/",
        "/orders/late-shipments/",
        "/orders/supplier-lateness/",
        "/accounts/password_change/",
        # Authoring (README "Authoring in the pages")
        "/inventory/items/new/",
        f"/inventory/items/{floor.raw.pk}/edit/",
        "/inventory/locations/new/",
        "/orders/partners/",
        "/orders/partners/new/",
        f"/orders/partners/{floor.customer.pk}/edit/",
        "/orders/sales/new/",
        "/orders/purchases/new/",
        "/production/boms/new/",
        f"/production/boms/{bom.pk}/edit/",
        f"/production/work-orders/{work_order.pk}/edit/",
        # Users, keys, audit, filtered lists, the 404 page (README "Users, lists, the scanner and error pages")
        "/users/",
        "/users/api-keys/",
        "/audit/",
        "/inventory/?kind=raw_material&active=yes&in_stock=on&size=50",
        "/orders/sales/?status=open",
        "/inventory/lots/",
        "/no/such/page/",
    ]


def test_every_page_is_one_coherent_accessible_product(browser, acme_site, pages):
    sign_in(browser, acme_site, "boss", ADMIN_PASSWORD)
    browser.set_window_size(768, 1100)  # a tablet held upright
    problems = []
    for path in pages:
        browser.get(acme_site.url(path))
        page = browser.execute_script(CHECK)
        if "Acme Test Plant" not in page["banner"] or not page["nav"] or not page["styled"]:
            problems.append(f"{path}: not in the base layout")
        if page["h1"] != 1:
            problems.append(f"{path}: {page['h1']} h1 elements")
        if page["unlabelled"]:
            problems.append(f"{path}: controls without a label: {page['unlabelled']}")
        if page["overflow"] > 0:
            problems.append(f"{path}: scrolls sideways by {page['overflow']}px at tablet width")
    browser.get(acme_site.url(pages[13]))
    screenshot(browser, "work-order-tablet")
    assert not problems, "\n".join(problems)
