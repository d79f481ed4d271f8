"""Tenant boundaries as a browser sees them: acme's session cookie is worth nothing on globex's host, and globex's
pages never show acme's data, even when asked for it by id or by search."""

from __future__ import annotations

import uuid
from decimal import Decimal

from django.contrib.auth import get_user_model
from selenium.webdriver.common.by import By

from inventory.models import Item, UnitOfMeasure
from inventory.services import item_create
from tests.browser.conftest import h1, sign_in
from tests.conftest import ADMIN_PASSWORD


def _acme_secret() -> Item:
    boss = get_user_model().objects.get(username="boss")
    return item_create(
        sku=f"ACME-SECRET-{uuid.uuid4().hex[:6].upper()}",
        name="Acme confidential alloy",
        uom=UnitOfMeasure.objects.get(code="pcs"),
        user=boss,
        standard_cost=Decimal("99"),
    )


def test_acme_session_cookie_does_nothing_on_globex(browser, acme, acme_site, globex_site, committed):
    committed(acme, lambda: None)  # sessions created by this test are removed afterwards
    sign_in(browser, acme_site, "boss", ADMIN_PASSWORD)
    assert "Signed in as boss" in browser.page_source
    acme_session = browser.get_cookie("sessionid")["value"]

    browser.get(globex_site.url("/accounts/login/"))
    assert browser.get_cookie("sessionid") is None  # host-only: the browser does not send it to globex
    browser.add_cookie({"name": "sessionid", "value": acme_session, "path": "/"})
    browser.get(globex_site.url("/"))
    assert "Signed in as" not in browser.page_source
    assert "Globex Test Plant" in browser.find_element(By.CSS_SELECTOR, ".tenant-banner").text
    browser.get(globex_site.url("/inventory/"))
    assert browser.current_url.startswith(globex_site.url("/accounts/login/"))
    assert h1(browser) == "Sign in to Globex Test Plant"

    browser.get(acme_site.url("/"))
    assert "Signed in as boss" in browser.page_source  # the acme session itself is untouched


def test_globex_pages_never_show_acme_data(browser, acme, globex, acme_site, globex_site, committed):
    secret = committed(acme, _acme_secret)
    committed(globex, lambda: None)
    sign_in(browser, globex_site, "boss", ADMIN_PASSWORD)
    for path in ("/", "/inventory/", "/inventory/reorder/", "/inventory/locations/", "/production/", "/orders/"):
        browser.get(globex_site.url(path))
        assert "Globex Test Plant" in browser.find_element(By.CSS_SELECTOR, ".tenant-banner").text, path
        assert secret.sku not in browser.page_source, path
        assert "Acme" not in browser.page_source, path
    browser.get(globex_site.url(f"/inventory/?q={secret.sku}"))
    assert "No items match" in browser.page_source
    assert secret.name not in browser.page_source
    browser.get(globex_site.url(f"/inventory/items/{secret.pk}/"))
    assert secret.sku not in browser.page_source
    assert "Not Found" in browser.page_source or "not found" in browser.page_source.lower()

    sign_in(browser, acme_site, "boss", ADMIN_PASSWORD)
    browser.get(acme_site.url(f"/inventory/items/{secret.pk}/"))
    assert h1(browser).startswith(secret.sku)  # the same URL on acme's host does show it
