"""The scanner flow and the accessibility basics in real Chromium.

Scanner: the scan box has the focus on load and again after each post; Enter moves through a move form's fields and
submits from the last; a SKU in any letter case opens its item and says its name and stock; a work-order or order
number opens that page. Accessibility, at 768 px: one h1, every control labelled, a visible focus ring, no sideways
scroll of the page (wide tables scroll in their own box). axe-core is not used: no offline package provides it here.
"""

from __future__ import annotations

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import WebDriverWait

from production.models import WorkOrder
from production.services import work_order_create
from tests.browser.conftest import h1, sign_in, wait_for_new_page
from tests.browser.floor import Floor, seed_floor
from tests.conftest import ADMIN_PASSWORD

A11Y = """
const unlabelled = Array.from(document.querySelectorAll('input, select, textarea'))
  .filter(el => el.type !== 'hidden' && el.type !== 'submit' && el.offsetParent !== null)
  .filter(el => !(el.labels && el.labels.length))
  .filter(el => !el.getAttribute('aria-label') && !el.getAttribute('aria-labelledby'))
  .map(el => el.name || el.id);
return {
  h1: document.querySelectorAll('h1').length,
  unlabelled: unlabelled,
  scrollWidth: document.documentElement.scrollWidth,
};
"""
FOCUS_RING = """
const el = document.activeElement;
const style = getComputedStyle(el);
return {tag: el.tagName, style: style.outlineStyle, width: parseFloat(style.outlineWidth), color: style.outlineColor};
"""


def _seed() -> tuple[Floor, WorkOrder]:
    from django.contrib.auth import get_user_model

    floor = seed_floor()
    boss = get_user_model().objects.get(username="boss")
    work_order = work_order_create(item=floor.bracket, quantity=1, due_date=floor.order.created_at.date(), user=boss)
    return floor, work_order


@pytest.fixture
def seeded(acme, committed) -> tuple[Floor, WorkOrder]:
    return committed(acme, _seed)


def _active_id(browser) -> str:
    return browser.switch_to.active_element.get_attribute("id")


def test_the_scan_box_has_the_focus_on_load(browser, acme_site, seeded):
    sign_in(browser, acme_site, "boss", ADMIN_PASSWORD)
    for path in ("/inventory/", "/inventory/locations/", "/inventory/reorder/"):
        browser.get(acme_site.url(path))
        assert _active_id(browser) == "scan-sku", path


def test_a_lowercase_scan_opens_the_item_says_its_stock_and_the_box_is_ready_again(browser, acme_site, seeded):
    floor, _ = seeded
    sign_in(browser, acme_site, "boss", ADMIN_PASSWORD)
    browser.get(acme_site.url("/inventory/"))
    scan = browser.switch_to.active_element
    scan.send_keys(floor.raw.sku.lower())
    wait_for_new_page(browser, lambda: scan.send_keys(Keys.ENTER))
    assert h1(browser).startswith(floor.raw.sku)
    assert f"{floor.raw.sku}: Steel sheet 2 mm. 0 pcs on hand, 0 available." in browser.page_source
    assert _active_id(browser) == "scan-sku"


def test_scanning_a_work_order_or_order_number_opens_it(browser, acme_site, seeded):
    floor, work_order = seeded
    sign_in(browser, acme_site, "boss", ADMIN_PASSWORD)
    for number, heading in ((work_order.number.lower(), work_order.number), (floor.order.number, floor.order.number)):
        browser.get(acme_site.url("/inventory/"))
        browser.switch_to.active_element.send_keys(number)
        wait_for_new_page(browser, lambda: browser.switch_to.active_element.send_keys(Keys.ENTER))
        assert heading in h1(browser)


def test_enter_walks_a_move_form_and_submits_from_the_last_field(browser, acme_site, seeded):
    floor, _ = seeded
    sign_in(browser, acme_site, "boss", ADMIN_PASSWORD)
    browser.get(acme_site.url("/inventory/stock/receive/"))
    assert _active_id(browser) == "id_item"
    browser.switch_to.active_element.send_keys(floor.raw.sku.lower() + Keys.ENTER)
    assert _active_id(browser) == "id_location"
    stock = browser.find_element(By.ID, "id_item-stock")
    WebDriverWait(browser, 30).until(lambda d: "Steel sheet 2 mm. 0 pcs on hand" in stock.text)
    assert stock.get_attribute("aria-live") == "polite"
    browser.switch_to.active_element.send_keys(Keys.ENTER)  # keep the default receiving location
    assert _active_id(browser) == "id_quantity"
    browser.switch_to.active_element.send_keys("4" + Keys.ENTER)
    assert _active_id(browser) == "id_reference"  # the last one-line field: Enter submits (lots are reached by Tab)
    wait_for_new_page(browser, lambda: browser.switch_to.active_element.send_keys(Keys.ENTER))
    assert h1(browser).startswith(floor.raw.sku)
    assert "Posted: receipt of 4" in browser.page_source
    assert _active_id(browser) == "scan-sku"  # ready for the next scan after the post


def test_the_focus_ring_is_visible(browser, acme_site, seeded):
    sign_in(browser, acme_site, "boss", ADMIN_PASSWORD)
    browser.get(acme_site.url("/inventory/"))
    ring = browser.execute_script(FOCUS_RING)
    assert ring["tag"] == "INPUT" and ring["style"] == "solid" and ring["width"] >= 3, ring
    assert ring["color"] == "rgb(163, 74, 0)"  # --focus, 5.9:1 on white (tests/test_app_css.py)
    browser.find_element(By.TAG_NAME, "body").send_keys(Keys.TAB)
    ring = browser.execute_script(FOCUS_RING)
    assert ring["style"] == "solid" and ring["width"] >= 3, ring


def test_pages_have_one_h1_labelled_controls_and_no_sideways_scroll_at_768(browser, acme_site, seeded):
    floor, work_order = seeded
    sign_in(browser, acme_site, "boss", ADMIN_PASSWORD)
    browser.set_window_size(768, 1024)
    width = browser.execute_script("return window.innerWidth")
    paths = [
        "/",
        "/inventory/",
        "/inventory/?kind=raw_material&in_stock=on&size=50",
        "/inventory/reorder/",
        f"/inventory/items/{floor.raw.pk}/",
        "/inventory/stock/receive/",
        f"/production/work-orders/{work_order.pk}/",
        "/orders/sales/?status=open",
        "/users/",
        "/users/api-keys/",
        "/audit/",
        "/no/such/page/",
    ]
    problems = []
    for path in paths:
        browser.get(acme_site.url(path))
        page = browser.execute_script(A11Y)
        if page["h1"] != 1:
            problems.append(f"{path}: {page['h1']} h1 elements")
        if page["unlabelled"]:
            problems.append(f"{path}: controls without a label: {page['unlabelled']}")
        if page["scrollWidth"] > width:
            problems.append(f"{path}: {page['scrollWidth']}px wide in a {width}px window")
    assert not problems, "\n".join(problems)


def test_the_unknown_workspace_page_links_back_with_the_port(browser, acme_site):
    url = acme_site.url("/").replace("acme.", "initech.", 1)
    browser.get(url)
    link = browser.find_element(By.CSS_SELECTOR, "main a")
    port = url.split("://", 1)[1].split("/", 1)[0].rsplit(":", 1)[1]
    assert f":{port}/" in link.get_attribute("href")
