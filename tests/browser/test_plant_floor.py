"""One plant-floor day on acme in a real browser: sign in, plan with an MRP run, receive stock, build a work order,
ship a sales order, and see the dashboard change. Screenshots of the key pages land in test-artifacts/screenshots/."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import WebDriverWait

from inventory.models import StockLevel
from planning.runs import mrp_run_execute
from tests.browser.conftest import h1, screenshot, sign_in, wait_for_new_page
from tests.browser.floor import Floor, seed_floor
from tests.conftest import ADMIN_PASSWORD


@pytest.fixture
def acme_floor(acme, committed) -> Floor:
    return committed(acme, seed_floor)


def _dashboard(driver, site) -> dict[str, str]:
    """The dashboard's figures by element id (data-value attributes)."""
    driver.get(site.url("/"))
    return {
        element.get_attribute("id"): element.get_attribute("data-value")
        for element in driver.find_elements(By.CSS_SELECTOR, "main [data-value]")
    }


def test_receive_build_ship_and_the_dashboard_follows(browser, acme_site, acme_floor, acme, committed):
    floor = acme_floor
    sign_in(browser, acme_site, "boss", ADMIN_PASSWORD)
    assert "Signed in as boss" in browser.page_source
    assert "Acme Test Plant" in browser.find_element(By.CSS_SELECTOR, ".tenant-banner").text
    before = _dashboard(browser, acme_site)
    assert int(before["kpi-late-shipments"]) >= 1
    assert floor.order.number in browser.find_element(By.CSS_SELECTOR, "main").text  # listed under late shipments
    screenshot(browser, "dashboard-before")

    # Plan: an MRP run is long work. Start it, see it wait, let a worker compute it, and watch the page (which
    # refreshes itself) show the plan: make the 3 late brackets, buy the 6 sheets they need.
    browser.get(acme_site.url("/production/mrp/"))
    browser.find_element(By.ID, "id_horizon_days").send_keys("30")
    wait_for_new_page(browser, browser.find_element(By.CSS_SELECTOR, "main form button[type=submit]").click)
    assert "Waiting to start" in browser.find_element(By.CSS_SELECTOR, "main [role=status]").text
    run_id = int(browser.current_url.rstrip("/").rsplit("/", 1)[1])
    committed(acme, lambda: mrp_run_execute(run_id=run_id))  # what the Celery worker does
    WebDriverWait(browser, 15).until(lambda d: floor.bracket.sku in d.find_element(By.CSS_SELECTOR, "main").text)
    plan = browser.find_element(By.CSS_SELECTOR, "main table").text
    assert floor.bracket.sku in plan and floor.raw.sku in plan and "Make" in plan and "Buy" in plan
    screenshot(browser, "mrp-run")

    # Receive 10 sheets. A scanner types the SKU and presses Enter: that moves on to the next field, not submit.
    browser.get(acme_site.url("/inventory/stock/receive/"))
    sku_field = browser.find_element(By.ID, "id_item")
    assert browser.switch_to.active_element == sku_field  # ready for a scan
    sku_field.send_keys(floor.raw.sku + Keys.ENTER)
    assert browser.switch_to.active_element.get_attribute("id") == "id_location"
    browser.find_element(By.ID, "id_quantity").send_keys("10")
    browser.find_element(By.ID, "id_reference").send_keys("DN-4711")
    wait_for_new_page(
        browser, browser.find_element(By.CSS_SELECTOR, "main form[method=post] button[type=submit]").click
    )
    assert h1(browser).startswith(floor.raw.sku)
    assert "Posted: receipt of 10" in browser.page_source

    # The scan box on every inventory page: a known SKU opens the item, an unknown one says so.
    scan = browser.find_element(By.ID, "scan-sku")
    scan.send_keys(floor.bracket.sku)
    wait_for_new_page(browser, lambda: scan.send_keys(Keys.ENTER))
    assert h1(browser).startswith(floor.bracket.sku)
    scan = browser.find_element(By.ID, "scan-sku")
    scan.send_keys("NO-SUCH-SKU")
    wait_for_new_page(browser, lambda: scan.send_keys(Keys.ENTER))
    assert "No item with SKU NO-SUCH-SKU." in browser.find_element(By.CSS_SELECTOR, ".messages").text

    browser.get(acme_site.url(f"/inventory/?q={floor.raw.sku[:5]}"))
    assert floor.raw.sku in browser.find_element(By.CSS_SELECTOR, "main table").text
    screenshot(browser, "item-list")

    # Build 3 brackets: create the work order, release it (reserves 6 sheets), start and complete it.
    browser.get(acme_site.url("/production/work-orders/new/"))
    browser.find_element(By.ID, "id_item").send_keys(floor.bracket.sku)
    browser.find_element(By.ID, "id_quantity").send_keys("3")
    due = (timezone.localdate() + datetime.timedelta(days=1)).isoformat()
    browser.execute_script("arguments[0].value = arguments[1]", browser.find_element(By.ID, "id_due_date"), due)
    wait_for_new_page(
        browser, browser.find_element(By.CSS_SELECTOR, "main form[method=post] button[type=submit]").click
    )
    assert "created as a draft" in browser.page_source
    for action, state in (("release", "Released"), ("start", "In progress"), ("complete", "Done")):
        button = browser.find_element(By.CSS_SELECTOR, f"form.action-{action} button[type=submit]")
        wait_for_new_page(browser, button.click)
        assert browser.find_element(By.ID, "state").text == state
    screenshot(browser, "work-order")

    # Ship the 3 brackets just made.
    browser.get(acme_site.url(f"/orders/sales/{floor.order.pk}/"))
    line = browser.find_element(By.CSS_SELECTOR, "main form[method=post] input[name^='line_']")
    line.send_keys("3")
    wait_for_new_page(browser, lambda: line.send_keys(Keys.ENTER))
    assert "Shipped" in browser.find_element(By.CSS_SELECTOR, "main h1 .status").text
    screenshot(browser, "sales-order")

    after = _dashboard(browser, acme_site)
    screenshot(browser, "dashboard")
    assert int(after["kpi-late-shipments"]) == int(before["kpi-late-shipments"]) - 1
    assert int(after["wo-state-done"]) == int(before["wo-state-done"]) + 1
    # 10 sheets in at 2.00, 6 used, 3 brackets made at 25.00 and shipped: 4 sheets x 2.00 more stock value.
    assert Decimal(after["stock-value-now"]) == Decimal(before["stock-value-now"]) + Decimal("8.00")
    browser.set_window_size(800, 1000)  # a shop-floor tablet
    _dashboard(browser, acme_site)
    screenshot(browser, "dashboard-tablet")
    levels = committed(
        acme,
        lambda: dict(StockLevel.objects.filter(item__in=[floor.raw, floor.bracket]).values_list("item", "on_hand")),
    )
    assert levels == {floor.raw.pk: Decimal(4), floor.bracket.pk: Decimal(0)}
