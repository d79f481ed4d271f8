"""The planner's workbench end to end in real Chromium (issue #17), through the UI only (clicks and typing):

as a planner: two bought components and a made finished good, its BOM, a customer and a supplier with preferred prices
for both components, a confirmed sales order; an MRP run; its planned orders firmed and converted (buys -> a purchase
order, the make -> a work order); the purchase order sent. As an operator: the purchase order received through the
scanner-style receive form (Enter submits), the work order released, started and completed, the sales order shipped.
Then the ledger (on hand on the item pages) and the documents' statuses are checked. On the way, the bad-input cases
("2,5" and letters in a quantity, a cancel without its confirmation tick).

Every page visited is checked at 768 px: one h1, every visible control labelled, a visible focus ring, no sideways
scroll. axe-core is not used: `axe_selenium_python` is not installed in the venv. A screenshot of each step is saved in
order under tests/browser/artifacts/planner-chain/ (gitignored).
"""

from __future__ import annotations

import datetime
import uuid
from pathlib import Path

from django_tenants.utils import tenant_context
from selenium.common.exceptions import StaleElementReferenceException
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import Select, WebDriverWait

from planning.runs import mrp_run_execute
from tests.browser.conftest import h1, sign_in, wait_for_new_page
from tests.conftest import ADMIN_PASSWORD

ARTIFACTS = Path(__file__).resolve().parent / "artifacts" / "planner-chain"
PAGE_CHECK = """
const unlabelled = Array.from(document.querySelectorAll('input, select, textarea'))
  .filter(el => el.type !== 'hidden' && el.offsetParent !== null)
  .filter(el => !(el.labels && el.labels.length))
  .filter(el => !el.getAttribute('aria-label') && !el.getAttribute('aria-labelledby'))
  .map(el => el.name || el.id);
return {h1: document.querySelectorAll('h1').length, unlabelled: unlabelled,
        scrollWidth: document.documentElement.scrollWidth, innerWidth: window.innerWidth};
"""
# After a Tab key press (keyboard modality, so :focus-visible applies as it would for a keyboard user), the page's first
# visible control in main is focused and its ring read; without one, whatever Tab reached (the skip link).
FOCUS_RING = """
const control = Array.from(document.querySelectorAll(
  'main input:not([type=hidden]), main select, main textarea, main button, main a[href]'))
  .find(el => el.offsetParent !== null && !el.disabled);
if (control) control.focus();
const el = document.activeElement;
const style = getComputedStyle(el);
return {tag: el.tagName, name: el.name || el.id || el.textContent.trim().slice(0, 30), style: style.outlineStyle,
        width: parseFloat(style.outlineWidth), shadow: style.boxShadow};
"""


class Chain:
    """The browser, the site, the numbered screenshots and the accessibility problems found on the way."""

    def __init__(self, browser, site) -> None:
        self.browser, self.site, self.step, self.problems = browser, site, 0, []
        # htmx swaps the line editor's elements: a read that lands on a replaced one is polled again, not a failure
        self.wait = WebDriverWait(browser, 20, poll_frequency=0.1, ignored_exceptions=(StaleElementReferenceException,))
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        for old in ARTIFACTS.glob("*.png"):
            old.unlink()

    def get(self, path: str) -> None:
        self.browser.get(self.site.url(path))
        self.check_page()

    def submit(self, element) -> None:
        wait_for_new_page(self.browser, element.click)
        self.check_page()

    def button(self, text: str, within: str = "main"):
        xpath = f"//{within}//button[normalize-space()='{text}' and not(@tabindex)]"
        return next(b for b in self.browser.find_elements(By.XPATH, xpath) if b.is_displayed())

    def type(self, field_id: str, text: str) -> None:
        field = self.browser.find_element(By.ID, field_id)
        field.clear()
        field.send_keys(text)

    def shot(self, name: str) -> None:
        self.step += 1
        self.browser.save_screenshot(str(ARTIFACTS / f"{self.step:02d}-{name}.png"))

    def check_page(self) -> None:
        page = self.browser.execute_script(PAGE_CHECK)
        where = self.browser.current_url.split("/", 3)[-1]
        if page["h1"] != 1:
            self.problems.append(f"/{where}: {page['h1']} h1 elements")
        if page["unlabelled"]:
            self.problems.append(f"/{where}: controls without a label: {page['unlabelled']}")
        ActionChains(self.browser).send_keys(Keys.TAB).perform()
        ring = self.browser.execute_script(FOCUS_RING)
        visible = (ring["style"] != "none" and ring["width"] >= 2) or ring["shadow"] != "none"
        if ring["tag"] == "BODY" or not visible:
            self.problems.append(f"/{where}: no visible focus style: {ring}")
        if page["scrollWidth"] > page["innerWidth"]:
            self.problems.append(f"/{where}: {page['scrollWidth']}px wide in a {page['innerWidth']}px window")

    def flash(self) -> str:
        return self.browser.find_element(By.TAG_NAME, "main").text


def _users() -> None:
    from access.services import user_create

    user_create(username="chain-planner", role="planner", by=None, password=ADMIN_PASSWORD)
    user_create(username="chain-operator", role="operator", by=None, password=ADMIN_PASSWORD)


def _on_hand(chain: Chain, item_pk: int) -> str:
    chain.get(f"/inventory/items/{item_pk}/")
    return chain.flash()


def test_a_planner_and_an_operator_walk_the_whole_chain(browser, acme_site, acme, committed):
    committed(acme, _users)
    suffix = uuid.uuid4().hex[:5].upper()
    sku_a, sku_b, sku_fg = f"CHA-{suffix}", f"CHB-{suffix}", f"CHF-{suffix}"
    customer, supplier = f"CC-{suffix}", f"CS-{suffix}"
    browser.set_window_size(768, 1024)
    chain = Chain(browser, acme_site)
    sign_in(browser, acme_site, "chain-planner", ADMIN_PASSWORD)

    # Items: two bought components, one made finished good.
    for sku, name, kind, procurement, cost in (
        (sku_a, "Chain part A", "component", "buy", "2"),
        (sku_b, "Chain part B", "component", "buy", "3"),
        (sku_fg, "Chain assembly", "finished_good", "make", "20"),
    ):
        chain.get("/inventory/items/new/")
        chain.type("id_sku", sku)
        chain.type("id_name", name)
        Select(browser.find_element(By.ID, "id_uom")).select_by_value(
            next(o.get_attribute("value") for o in Select(browser.find_element(By.ID, "id_uom")).options
                 if o.text.startswith("pcs"))
        )  # fmt: skip
        Select(browser.find_element(By.ID, "id_kind")).select_by_value(kind)
        Select(browser.find_element(By.ID, "id_procurement")).select_by_value(procurement)
        chain.type("id_standard_cost", cost)
        chain.shot(f"item-{sku.split('-')[0].lower()}-form")
        chain.submit(chain.button("Save"))
        assert sku in h1(browser), chain.flash()
    from inventory.models import Item

    with tenant_context(acme):
        items = {i.sku: i for i in Item.objects.filter(sku__in=[sku_a, sku_b, sku_fg])}
    assert items[sku_fg].procurement == "make" and items[sku_a].procurement == "buy"
    chain.shot("items-created")

    # BOM: the finished good of 2 A and 1 B, with the line editor.
    chain.get("/production/boms/new/")
    chain.type("id_item", sku_fg)
    chain.type("id_lines-0-component", sku_a)
    chain.type("id_lines-0-quantity", "2")
    chain.button("Add a line").click()
    chain.wait.until(lambda d: d.find_element(By.ID, "id_lines-TOTAL_FORMS").get_attribute("value") == "2")
    chain.type("id_lines-1-component", sku_b)
    chain.type("id_lines-1-quantity", "1")
    chain.shot("bom-form")
    chain.submit(chain.button("Save BOM"))
    assert sku_fg in h1(browser), chain.flash()
    chain.shot("bom-saved")

    # A customer and a supplier.
    for code, flag in ((customer, "id_is_customer"), (supplier, "id_is_supplier")):
        chain.get("/orders/partners/new/")
        chain.type("id_code", code)
        chain.type("id_name", f"Chain {flag[6:]}")
        box = browser.find_element(By.ID, flag)
        if not box.is_selected():
            box.click()
        chain.submit(chain.button("Save"))
        assert code in chain.flash(), chain.flash()
    chain.shot("partners-created")

    # The supplier's preferred prices for both components.
    from orders.models import Partner

    with tenant_context(acme):
        supplier_pk = Partner.objects.get(code=supplier).pk
    for sku, price in ((sku_a, "2.10"), (sku_b, "3.20")):
        chain.get(f"/orders/partners/{supplier_pk}/prices/")
        chain.type("id_item", sku)
        chain.type("id_unit_price", price)
        browser.find_element(By.ID, "id_is_preferred").click()
        chain.submit(chain.button("Save"))
        assert sku in chain.flash(), chain.flash()
    chain.shot("supplier-prices")

    # A sales order for 3 finished goods, with the bad-input cases on the way.
    chain.get("/orders/sales/new/")
    chain.type("id_customer", customer)
    chain.type("id_lines-0-item", sku_fg)
    chain.type("id_lines-0-quantity", "2,5")
    chain.type("id_lines-0-unit_price", "40")
    promised = datetime.date.today() + datetime.timedelta(days=14)
    browser.find_element(By.ID, "id_lines-0-promised_date").send_keys(promised.strftime("%m%d%Y"))
    chain.submit(chain.button("Save draft"))
    quantity = browser.find_element(By.ID, "id_lines-0-quantity")
    assert quantity.get_attribute("value") == "2,5"  # the typed value is kept
    row_text = quantity.find_element(By.XPATH, "./ancestor::tr").text
    assert "decimal point" in row_text.lower() or "2,5" in row_text, row_text
    chain.shot("bad-input-comma")
    chain.type("id_lines-0-quantity", "abc")
    chain.submit(chain.button("Save draft"))
    assert (
        "Enter a number."
        in browser.find_element(By.ID, "id_lines-0-quantity").find_element(By.XPATH, "./ancestor::tr").text
    )
    assert browser.find_element(By.ID, "id_lines-0-quantity").get_attribute("value") == "abc"
    chain.shot("bad-input-letters")
    assert browser.find_element(By.ID, "id_lines-0-promised_date").get_attribute("value") == promised.isoformat()
    chain.type("id_lines-0-quantity", "3")
    chain.submit(chain.button("Save draft"))
    assert h1(browser).startswith("Sales order SO-"), chain.flash()
    sales_url = browser.current_url
    chain.submit(chain.button("Confirm and reserve stock"))
    assert "Confirmed" in chain.flash(), chain.flash()
    chain.shot("sales-order-confirmed")

    # A cancel without its tick is refused (the browser will not send it) and says why.
    browser.find_element(By.XPATH, "//summary[contains(., 'Cancel')]").click()
    tick = browser.find_element(By.XPATH, "//form[contains(@action, '/cancel/')]//input[@name='confirm']")
    chain.button("Cancel order").click()
    assert browser.current_url == sales_url
    assert browser.execute_script("return arguments[0].validationMessage", tick)
    assert "cannot be undone" in chain.flash()
    chain.shot("cancel-refused-without-tick")

    # MRP from the MRP page.
    chain.get("/production/mrp/")
    chain.submit(chain.button("Start MRP run"))
    assert "Waiting to start" in browser.find_element(By.CSS_SELECTOR, "main [role=status]").text
    chain.shot("mrp-run-waiting")
    run_id = int(browser.current_url.rstrip("/").rsplit("/", 1)[1])
    committed(acme, lambda: mrp_run_execute(run_id=run_id))  # what the Celery worker does
    chain.wait.until(lambda d: d.find_elements(By.NAME, "ids"))  # the page refreshes itself until the run is done
    chain.check_page()
    chain.shot("mrp-run")

    def tick_ours() -> int:
        ticked = 0
        for row in browser.find_elements(By.XPATH, "//input[@name='ids']/ancestor::tr"):
            if any(sku in row.text for sku in (sku_a, sku_b, sku_fg)):
                row.find_element(By.NAME, "ids").click()
                ticked += 1
        return ticked

    assert tick_ours() == 3
    chain.submit(chain.button("Firm selected"))
    chain.shot("planned-orders-firm")
    assert tick_ours() == 3
    browser.find_element(By.XPATH, "//summary[contains(., 'Convert selected')]").click()
    browser.find_element(By.XPATH, "//input[@name='confirm' and @value='1']").click()
    chain.submit(chain.button("Convert selected"))
    chain.shot("planned-orders-converted")
    purchase_link = browser.find_element(By.XPATH, "//a[starts-with(normalize-space(), 'PO-')]")
    work_link = browser.find_element(By.XPATH, "//a[starts-with(normalize-space(), 'WO-')]")
    purchase_url, work_url = purchase_link.get_attribute("href"), work_link.get_attribute("href")

    browser.get(purchase_url)
    chain.check_page()
    chain.submit(chain.button("Mark as sent"))
    assert "Sent" in chain.flash(), chain.flash()
    chain.shot("purchase-order-sent")

    # The operator: receive (Enter submits, as with a scanner), make, ship.
    browser.delete_all_cookies()
    sign_in(browser, acme_site, "chain-operator", ADMIN_PASSWORD)
    browser.get(purchase_url)
    chain.check_page()
    fields = browser.find_elements(By.CSS_SELECTOR, "#delivery-form table input")
    for field in fields:
        row = field.find_element(By.XPATH, "./ancestor::tr").text
        field.clear()
        field.send_keys("6" if sku_a in row else "3")
    chain.shot("receive-form")
    wait_for_new_page(browser, lambda: fields[-1].send_keys(Keys.ENTER))
    chain.check_page()
    assert "Received" in chain.flash(), chain.flash()
    chain.shot("purchase-order-received")

    def work_order_step(action: str, state: str) -> None:
        browser.get(work_url)
        chain.check_page()
        form = browser.find_element(By.CSS_SELECTOR, f"form.action-{action}")
        chain.submit(form.find_element(By.CSS_SELECTOR, "button[type=submit]"))
        assert browser.find_element(By.ID, "state").text == state, chain.flash()
        chain.shot(f"work-order-{action}")

    # Releasing is the planner's (the operator's page does not offer it); starting and completing are the floor's.
    browser.delete_all_cookies()
    sign_in(browser, acme_site, "chain-planner", ADMIN_PASSWORD)
    work_order_step("release", "Released")
    browser.delete_all_cookies()
    sign_in(browser, acme_site, "chain-operator", ADMIN_PASSWORD)
    work_order_step("start", "In progress")
    work_order_step("complete", "Done")

    browser.get(sales_url)
    chain.check_page()
    field = browser.find_element(By.CSS_SELECTOR, "#delivery-form table input")
    field.clear()
    field.send_keys("3")
    chain.submit(chain.button("Ship", within="form[@id='delivery-form']"))
    assert "Shipped" in chain.flash(), chain.flash()
    chain.shot("sales-order-shipped")

    # The ledger on the item pages: 6 A and 3 B received then consumed by the work order, 3 assemblies made then
    # shipped: nothing on hand anywhere, two moves each.
    for sku in (sku_a, sku_b, sku_fg):
        text = _on_hand(chain, items[sku].pk)
        assert "No stock anywhere." in text, text
        rows = browser.find_elements(By.XPATH, "//table[.//th[normalize-space()='Reason']]/tbody/tr")
        assert len(rows) == 2, [r.text for r in rows]
        chain.shot(f"ledger-{sku.split('-')[0].lower()}")
    from orders.models import PurchaseOrder, SalesOrder
    from production.models import WorkOrder

    with tenant_context(acme):
        assert SalesOrder.objects.get(customer__code=customer).status == "shipped"
        assert PurchaseOrder.objects.get(supplier__code=supplier).status == "received"
        assert WorkOrder.objects.get(item__sku=sku_fg).state == "done"
    assert not chain.problems, "\n".join(chain.problems)
