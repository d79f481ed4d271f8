"""Browser tests: real Chromium (Debian's `chromium` + `chromium-driver`) driven by Selenium against gunicorn.

The server is a separate process on the test database, so it only sees committed rows: the session's tenants
(`acme`, `globex`) and what a test writes through `committed(tenant, fn)`, which runs on a connection of its own and
removes every row the test added to that tenant's schema afterwards (stock moves included, whose trigger forbids
deletes: the cleanup runs with triggers off). The test's own connection stays in pytest-django's rolled-back
transaction, as everywhere else.

Without a Chromium binary the tests skip, except under CI (the CI variable set), where they fail: CI must run them.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection, transaction
from django_tenants.utils import schema_context, tenant_context

from erp.localservices import free_port
from tests.support import committed as committed_in_thread

REPO = Path(__file__).resolve().parents[2]
SCREENSHOTS = REPO / "test-artifacts" / "screenshots"
CHROMIUM_FLAGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
    "--window-size=1280,900",
]
SERVER_ARGS = ["--workers", "1", "--threads", "4", "--timeout", "60"]


def _find(*names: str) -> str | None:
    for name in names:
        found = shutil.which(name) or (name if os.path.isabs(name) and os.access(name, os.X_OK) else None)
        if found:
            return found
    return None


@pytest.fixture(scope="session")
def chromium() -> tuple[str, str]:
    """Paths of the Chromium binary and its driver; skip (laptop) or fail (CI) when they are missing."""
    browser = _find("chromium", "/usr/bin/chromium", "chromium-browser")
    driver = _find("chromedriver", "/usr/bin/chromedriver")
    if browser and driver:
        return browser, driver
    missing = " and ".join(n for n, p in (("chromium", browser), ("chromedriver", driver)) if not p)
    reason = f"{missing} not found: install Debian's chromium and chromium-driver (.ci/run does) to run browser tests"
    if os.environ.get("CI"):
        pytest.fail(f"CI is set but {reason}", pytrace=False)
    pytest.skip(reason)


def _database_url() -> str:
    """The test database (the one pytest-django created) as a URL for the server process."""
    db = connection.settings_dict
    user = urllib.parse.quote(db["USER"] or "", safe="")
    password = f":{urllib.parse.quote(str(db['PASSWORD']), safe='')}" if db.get("PASSWORD") else ""
    auth = f"{user}{password}@" if user else ""
    return f"postgres://{auth}{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


@pytest.fixture(scope="session")
def live_server_port(chromium, django_db_setup, django_db_blocker) -> Iterator[int]:
    """gunicorn serving the project on the test database; tenant hosts are <slug>.localhost:<port>."""
    port = free_port()
    env = {
        **os.environ,
        "DATABASE_URL": _database_url(),
        "DJANGO_SETTINGS_MODULE": "tests.browser.server_settings",
        "BASE_DOMAIN": settings.BASE_DOMAIN,
        "DEBUG": "false",
        "PYTHONPATH": str(REPO),
    }
    log = tempfile.NamedTemporaryFile(prefix="browser-gunicorn-", suffix=".log", delete=False)  # noqa: SIM115
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "erp.wsgi:application", "--bind", f"127.0.0.1:{port}", *SERVER_ARGS],
        cwd=REPO,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        _wait_until_serving(port, server, log.name)
        yield port
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
        log.close()


def _wait_until_serving(port: int, server: subprocess.Popen, log_path: str) -> None:
    deadline = time.monotonic() + 30
    request = urllib.request.Request(f"http://127.0.0.1:{port}/healthz", headers={"Host": "acme.localhost"})
    while time.monotonic() < deadline:
        if server.poll() is not None:
            break
        with contextlib.suppress(OSError), urllib.request.urlopen(request, timeout=2) as response:  # noqa: S310
            if response.status == 200:
                return
        time.sleep(0.2)
    raise RuntimeError(f"gunicorn did not serve on port {port}:\n{Path(log_path).read_text()[-3000:]}")


class Site:
    """URLs of one tenant host on the live server."""

    def __init__(self, slug: str, port: int) -> None:
        self.host = f"{slug}.{settings.BASE_DOMAIN}:{port}"

    def url(self, path: str = "/") -> str:
        return f"http://{self.host}{path}"


@pytest.fixture(scope="session")
def acme_site(live_server_port) -> Site:
    return Site("acme", live_server_port)


@pytest.fixture(scope="session")
def globex_site(live_server_port) -> Site:
    return Site("globex", live_server_port)


@pytest.fixture
def browser(chromium) -> Iterator:
    """A fresh headless Chromium (own profile: no cookies) driven through Debian's chromedriver."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    binary, driver_path = chromium
    profile = tempfile.mkdtemp(prefix="browser-test-profile-")
    options = webdriver.ChromeOptions()
    options.binary_location = binary
    for flag in [*CHROMIUM_FLAGS, f"--user-data-dir={profile}"]:
        options.add_argument(flag)
    os.environ.setdefault("SE_OFFLINE", "true")  # Selenium Manager must not try to download anything
    driver = webdriver.Chrome(service=Service(driver_path), options=options)
    driver.set_page_load_timeout(30)
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


def screenshot(driver, name: str) -> Path:
    """Save the whole page (not only the window) as test-artifacts/screenshots/<name>.png."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    width, height = driver.get_window_size()["width"], driver.get_window_size()["height"]
    full = driver.execute_script("return document.documentElement.scrollHeight")
    driver.set_window_size(width, max(height, min(full + 150, 4000)))
    driver.save_screenshot(str(path))
    driver.set_window_size(width, height)
    return path


# --- Committed data in a tenant schema ------------------------------------------------------------------------------
def _tables_with_id() -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT table_name FROM information_schema.columns "
            "WHERE table_schema = current_schema() AND column_name = 'id' ORDER BY table_name"
        )
        return [row[0] for row in cursor.fetchall()]


def _snapshot() -> tuple[dict[str, int], set[str]]:
    high: dict[str, int] = {}
    with connection.cursor() as cursor:
        for table in _tables_with_id():
            cursor.execute(f'SELECT COALESCE(MAX(id), 0) FROM "{table}"')
            high[table] = cursor.fetchone()[0]
        cursor.execute("SELECT session_key FROM django_session")
        sessions = {row[0] for row in cursor.fetchall()}
    return high, sessions


def _remove_rows_added_since(high: dict[str, int], sessions: set[str]) -> None:
    """Delete every row added after the snapshot; triggers (FK checks, the ledger's no-delete rule) are off."""
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL session_replication_role = replica")
        for table in _tables_with_id():
            cursor.execute(f'DELETE FROM "{table}" WHERE id > %s', [high.get(table, 0)])
        cursor.execute("DELETE FROM django_session WHERE NOT (session_key = ANY(%s))", [list(sessions)])


@pytest.fixture
def committed(db):
    """committed(tenant, fn): run fn in the tenant's schema and commit what it writes, so the live server sees it.
    At the end of the test, every row added to that schema since the first call is removed again."""
    snapshots: dict[int, tuple] = {}

    def run(tenant, fn):
        def body():
            with tenant_context(tenant):
                if tenant.pk not in snapshots:
                    snapshots[tenant.pk] = (tenant, *_snapshot())
                return fn()

        return committed_in_thread(body)

    yield run
    for tenant, high, sessions in snapshots.values():

        def cleanup(tenant=tenant, high=high, sessions=sessions) -> None:
            # As the owner: the tenant's own role may not switch triggers off (session_replication_role).
            with schema_context(tenant.schema_name):
                _remove_rows_added_since(high, sessions)

        committed_in_thread(cleanup)


# --- Driving pages --------------------------------------------------------------------------------------------------
def wait_for_new_page(driver, action) -> None:
    """Run action (a click, an Enter) and wait until the browser has loaded the page it leads to."""
    from selenium.common.exceptions import WebDriverException
    from selenium.webdriver.support.ui import WebDriverWait

    # Mark the current document; the next one will not carry the mark. Polling an element of the old page instead
    # races Chromium mid-navigation ("Node with given id does not belong to the document"), so errors while the
    # page changes are retried.
    driver.execute_script("window.__erpLeftPage = true")
    action()
    WebDriverWait(driver, 20, poll_frequency=0.05, ignored_exceptions=(WebDriverException,)).until(
        lambda d: d.execute_script("return window.__erpLeftPage !== true && document.readyState === 'complete'")
    )


def h1(driver) -> str:
    return driver.find_element("css selector", "main h1").text


def sign_in(driver, site: Site, username: str, password: str) -> None:
    driver.get(site.url("/accounts/login/"))
    driver.find_element("id", "id_username").send_keys(username)
    driver.find_element("id", "id_password").send_keys(password)
    wait_for_new_page(driver, driver.find_element("css selector", "main form button[type=submit]").click)
