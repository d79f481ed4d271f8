"""The authoring pages in a real browser, with htmx: the pickers offer matches as you type, "Add a line" and "Update
totals" refresh the lines without leaving the page, and the draft saves."""

from __future__ import annotations

import datetime

from selenium.common.exceptions import StaleElementReferenceException
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from tests.browser.conftest import h1, screenshot, sign_in, wait_for_new_page
from tests.browser.floor import seed_floor
from tests.conftest import ADMIN_PASSWORD


def _options(driver, datalist_id: str) -> list[str]:
    return driver.execute_script(
        "return Array.from(document.querySelectorAll('#' + CSS.escape(arguments[0]) + ' option')).map(o => o.value)",
        datalist_id,
    )


def test_a_sales_order_is_written_with_pickers_and_the_htmx_line_editor(browser, acme_site, acme, committed):
    floor = committed(acme, seed_floor)
    sign_in(browser, acme_site, "boss", ADMIN_PASSWORD)
    browser.get(acme_site.url("/orders/sales/new/"))
    wait = WebDriverWait(browser, 10, poll_frequency=0.1, ignored_exceptions=(StaleElementReferenceException,))

    customer = browser.find_element(By.ID, "id_customer")
    customer.send_keys(floor.customer.code[:5].lower())
    wait.until(lambda d: floor.customer.code in _options(d, "id_customer-options"))
    customer.send_keys(floor.customer.code[5:])

    sku = browser.find_element(By.ID, "id_lines-0-item")
    sku.send_keys(floor.bracket.sku[:4].lower())
    wait.until(lambda d: floor.bracket.sku in _options(d, "id_lines-0-item-options"))
    sku.send_keys(floor.bracket.sku[4:])
    browser.find_element(By.ID, "id_lines-0-quantity").send_keys("2")
    browser.find_element(By.ID, "id_lines-0-unit_price").send_keys("40")
    day = (datetime.date.today() + datetime.timedelta(days=10)).isoformat()
    browser.execute_script(
        "arguments[0].value = arguments[1]", browser.find_element(By.ID, "id_lines-0-promised_date"), day
    )

    browser.execute_script("window.__samePage = true")
    browser.find_element(By.CSS_SELECTOR, "button[name=add_line]").click()
    wait.until(lambda d: d.find_element(By.ID, "id_lines-TOTAL_FORMS").get_attribute("value") == "2")
    assert browser.execute_script("return window.__samePage === true")  # htmx swapped the lines only
    assert browser.find_element(By.ID, "document-total").text == "80.00"
    assert browser.find_element(By.ID, "id_lines-0-item").get_attribute("value").upper() == floor.bracket.sku
    screenshot(browser, "sales-order-editor")

    wait_for_new_page(
        browser, browser.find_element(By.XPATH, "//button[normalize-space()='Save draft' and not(@tabindex)]").click
    )
    assert h1(browser).startswith("Sales order SO-")
    assert floor.bracket.sku in browser.find_element(By.CSS_SELECTOR, "main table").text
