"""Attack suite: every URL of a tenant host, every method, as tenant globex attacking tenant acme.

The suite walks `erp.urls_tenant` (UI, API, admin) and fills each path parameter with the id of an object that exists
in acme (one of each kind is created first, every name and code carrying a unique marker). Then, for each URL and
each method, it tries:

(a) globex's logged-in session cookie replayed on acme's host;
(b) globex's credentials (Basic auth of a globex-only user, globex's JWT, globex's API key) on acme's host;
(c) globex's own session on globex's host, with acme's object ids.

No response may carry acme's marker (any status) or be a server error (5xx), the attacker is never authenticated on
acme's host, and no row of acme's schema is inserted, updated or deleted (PostgreSQL's per-transaction table
statistics, read after every attempt, count even writes a view rolled back). A URL parameter the suite does not know
how to fill fails the suite: a new endpoint must be classified here before it ships.

tests/cells/test_cell_attack.py runs the same machinery with attacker and victim on different cells (PostgreSQL
servers).
"""

from __future__ import annotations

import base64
import contextlib
import datetime
import json
import re
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from urllib.parse import urlencode

import pytest
from django.apps import apps
from django.conf import settings
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.contrib.contenttypes.models import ContentType
from django.db import connection, transaction
from django.db.models import Model
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from django.urls import path as url_path
from django.urls.resolvers import RoutePattern
from django_tenants.utils import schema_context

from access.models import ApiKey
from access.services import api_key_create
from cells import routing
from cells.config import DEFAULT_CELL
from core.idempotency import HEADER as IDEMPOTENCY_HEADER
from customfields.services import custom_field_create
from inventory import services as inventory_services
from inventory.models import Item, ItemImport
from orders import services as order_services
from planning.models import MrpRun, PlannedOrder
from production import services as production_services
from tests.conftest import ADMIN_PASSWORD, host_of
from tests.inventory.factories import UnitFactory

MARKER = f"ZQX{uuid.uuid4().hex[:6].upper()}"
METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")
ATTACKER_USERNAME = f"mallory-{MARKER.lower()}"
ATTACKER_PASSWORD = "globex-only-password-1"

# Path parameters of plain Django views whose object is not told by a DRF queryset or a ModelAdmin.
VIEW_MODELS: dict[str, str] = {
    "inventory:item-detail": "inventory.Item",
    "inventory:move-reverse": "inventory.StockMove",
    "inventory:import-detail": "inventory.ItemImport",
    "inventory:lot-detail": "inventory.Lot",
    "inventory:lot-recall-csv": "inventory.Lot",
    "production:work-order-detail": "production.WorkOrder",
    "production:work-order-action": "production.WorkOrder",
    "production:bom-detail": "production.Bom",
    "production:cost-rollup-detail": "production.CostRollup",
    "planning:mrp-run-detail": "planning.MrpRun",
    "planning:planned-orders-act": "planning.MrpRun",
    "planning:planned-order-edit": "planning.PlannedOrder",
    "planning-api:mrp-run-detail": "planning.MrpRun",
    "planning-api:mrp-planned-orders": "planning.MrpRun",
    "planning-api:mrp-planned-order": "planning.PlannedOrder",
    "planning-api:mrp-planned-order-firm": "planning.PlannedOrder",
    "planning-api:mrp-planned-order-convert": "planning.PlannedOrder",
    "orders:sales-order-detail": "orders.SalesOrder",
    "orders:sales-order-action": "orders.SalesOrder",
    "orders:purchase-order-detail": "orders.PurchaseOrder",
    "orders:purchase-order-action": "orders.PurchaseOrder",
    "orders:shipment-return": "orders.Shipment",
    "orders:receipt-return": "orders.Receipt",
    "access:user-role": "auth.User",
    "access:user-active": "auth.User",
    "access:user-password-reset": "auth.User",
    "access:api-key-revoke": "access.ApiKey",
    # Authoring pages (create/edit)
    "inventory:item-edit": "inventory.Item",
    "inventory:location-edit": "inventory.Location",
    "orders:partner-edit": "orders.Partner",
    "orders:supplier-prices": "orders.Partner",
    "orders:supplier-price-edit": "orders.SupplierItem",
    "orders:sales-order-edit": "orders.SalesOrder",
    "orders:purchase-order-edit": "orders.PurchaseOrder",
    "production:bom-edit": "production.Bom",
    "production:bom-activate": "production.Bom",
    "production:work-order-edit": "production.WorkOrder",
    # Custom-field definitions (tenant admins)
    "customfields:field-edit": "customfields.CustomField",
    "customfields:field-delete": "customfields.CustomField",
}


def _action_values() -> dict[str, list[str]]:
    from inventory.views import MOVE_FORMS
    from orders.services.purchase import ACTIONS as _PURCHASE_ACTIONS
    from orders.services.sales import ACTIONS as _SALES_ACTIONS
    from production.views import ACTION_FORMS

    return {
        "inventory:move-form": sorted(MOVE_FORMS),
        "production:work-order-action": sorted(ACTION_FORMS),
        "orders:sales-order-action": sorted(_SALES_ACTIONS),
        "orders:purchase-order-action": sorted(_PURCHASE_ACTIONS),
    }


# --- Walking the URL conf --------------------------------------------------------------------------------------------


@dataclass
class Route:
    template: str  # the path with {name} placeholders (regex alternatives kept in `choices`)
    name: str  # namespace:name, or the template when unnamed
    callback: Callable
    params: list[str] = field(default_factory=list)
    choices: dict[str, list[str]] = field(default_factory=dict)


_GROUP = re.compile(r"\(\?P<(\w+)>")
_CONVERTER = re.compile(r"<(?:(\w+):)?(\w+)>")


def _regex_to_template(regex: str, choices: dict[str, list[str]]) -> str:
    regex = regex.removeprefix("^").removesuffix("$").removesuffix(r"\Z")
    out, i = [], 0
    while i < len(regex):
        match = _GROUP.match(regex, i)
        if match is None:
            char = regex[i]
            if char == "\\" and i + 1 < len(regex):
                out.append(regex[i + 1])
                i += 2
                continue
            out.append(char)
            i += 1
            continue
        depth, j = 1, match.end()
        while depth:
            if regex[j] == "\\":
                j += 2
                continue
            depth += {"(": 1, ")": -1}.get(regex[j], 0)
            j += 1
        body = regex[match.end() : j - 1]
        if re.fullmatch(r"[\w-]+(\|[\w-]+)*", body):
            choices[match.group(1)] = body.split("|")
        out.append("{" + match.group(1) + "}")
        i = j
    return "".join(out)


def walk_urls(resolver: URLResolver | None = None, prefix: str = "", namespace: str = "") -> Iterator[Route]:
    resolver = resolver or get_resolver(settings.ROOT_URLCONF)  # what a tenant host serves
    for pattern in resolver.url_patterns:
        choices: dict[str, list[str]] = {}
        raw = str(pattern.pattern)
        if isinstance(pattern.pattern, RoutePattern):  # <conv:name>
            piece = _CONVERTER.sub(lambda m: "{" + m.group(2) + "}", raw)
        else:
            piece = _regex_to_template(raw, choices)
        if isinstance(pattern, URLResolver):
            inner_ns = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
            for route in walk_urls(pattern, prefix + piece, inner_ns):
                route.choices = {**choices, **route.choices}
                yield route
        else:
            assert isinstance(pattern, URLPattern)
            template = prefix + piece
            name = f"{namespace}{pattern.name}" if pattern.name else template
            yield Route(template, name, pattern.callback, re.findall(r"\{(\w+)\}", template), choices)


# --- acme's objects, each carrying the marker ------------------------------------------------------------------------


def create_acme_objects(boss) -> None:
    """One object of every kind the tenant apps have, each name/code/reference carrying MARKER."""
    unit = UnitFactory(code=f"u{MARKER}"[:16], name=f"{MARKER} unit")
    bolt = inventory_services.item_create(sku=f"{MARKER}-BOLT", name=f"{MARKER} bolt", uom=unit, user=boss)
    gear = inventory_services.item_create(
        sku=f"{MARKER}-GEAR", name=f"{MARKER} gear", uom=unit, kind=Item.Kind.FINISHED_GOOD, user=boss
    )
    store = inventory_services.location_create(code=f"{MARKER}-A1", name=f"{MARKER} aisle", user=boss)
    box = UnitFactory(code=f"b{MARKER}"[:16], name=f"{MARKER} box")
    inventory_services.conversion_create(item=bolt, uom=box, factor=12, user=boss)
    inventory_services.stock_receive(item=bolt, location=store, quantity=100, reference=f"{MARKER} in", user=boss)
    ItemImport.objects.create(file_name=f"{MARKER}.csv", content=f"sku,name\n{MARKER}-X,x\n", created_by=boss)
    production_services.bom_create(item=gear, lines=[{"component": bolt, "quantity": 2}], version="M1", user=boss)
    work_order = production_services.work_order_create(
        item=gear, quantity=2, due_date=datetime.date(2030, 1, 1), number=f"WO-{MARKER}", note=MARKER, user=boss
    )
    production_services.work_order_release(work_order=work_order, location=store, user=boss)
    production_services.cost_rollup_run(item=gear, user=boss)
    MrpRun.objects.create(status=MrpRun.Status.FAILED, failure=f"{MARKER} failure", created_by=boss)
    planned_run = MrpRun.objects.create(status=MrpRun.Status.DONE, created_by=boss)
    PlannedOrder.objects.create(
        run=planned_run, number=1, item=bolt, kind=PlannedOrder.Kind.BUY, quantity=3, net_quantity=3,
        release_date=datetime.date(2030, 1, 1), due_date=datetime.date(2030, 1, 2),
    )  # fmt: skip
    customer = order_services.partner_create(code=f"C-{MARKER}", name=f"{MARKER} customer", is_customer=True, user=boss)
    supplier = order_services.partner_create(code=f"S-{MARKER}", name=f"{MARKER} supplier", is_supplier=True, user=boss)
    today = datetime.date.today()
    sale = order_services.sales_order_create(
        customer=customer,
        location=store,
        customer_reference=MARKER,
        user=boss,
        lines=[{"item": bolt, "quantity": 5, "unit_price": Decimal("2.5"), "promised_date": today}],
    )
    sale = order_services.sales_order_confirm(order=sale, user=boss)
    shipment = order_services.shipment_create(
        order=sale, reference=f"{MARKER} ship", user=boss, lines=[{"line": sale.lines.get(), "quantity": 1}]
    )
    order_services.customer_return_create(
        shipment=shipment, reference=f"{MARKER} back", user=boss, lines=[{"line": shipment.lines.get(), "quantity": 1}]
    )
    order_services.supplier_item_create(
        supplier=supplier, item=bolt, unit_price=Decimal("1.25"), lead_time_days=3, is_preferred=True, user=boss
    )
    purchase = order_services.purchase_order_create(
        supplier=supplier,
        supplier_reference=MARKER,
        user=boss,
        lines=[{"item": bolt, "quantity": 10, "uom": box, "unit_cost": Decimal("1.25"), "expected_date": today}],
    )
    purchase = order_services.purchase_order_send(order=purchase, user=boss)
    receipt = order_services.receipt_create(
        order=purchase,
        location=store,
        reference=f"{MARKER} rcv",
        user=boss,
        lines=[{"line": purchase.lines.get(), "quantity": 2}],
    )
    order_services.supplier_return_create(
        receipt=receipt, reference=f"{MARKER} out", user=boss, lines=[{"line": receipt.lines.get(), "quantity": 1}]
    )
    # Lots: a lot-tracked component received in a lot, made into a lot-tracked panel (a lot, its genealogy).
    resin = inventory_services.item_create(
        sku=f"{MARKER}-RESIN", name=f"{MARKER} resin", uom=unit, tracking=Item.Tracking.LOT, user=boss
    )
    panel = inventory_services.item_create(
        sku=f"{MARKER}-PANEL", name=f"{MARKER} panel", uom=unit, tracking=Item.Tracking.LOT, user=boss
    )
    inventory_services.stock_receive(
        item=resin, location=store, quantity=4, user=boss, lots=[{"code": f"{MARKER}-R1", "supplier_lot": MARKER}]
    )
    production_services.bom_create(item=panel, lines=[{"component": resin, "quantity": 2}], version="M1", user=boss)
    panel_order = production_services.work_order_create(
        item=panel, quantity=1, due_date=datetime.date(2030, 1, 1), number=f"WO-{MARKER}-P", user=boss
    )
    production_services.work_order_release(work_order=panel_order, location=store, user=boss)
    production_services.work_order_start(work_order=panel_order, user=boss)
    production_services.work_order_complete(work_order=panel_order, user=boss)
    Group.objects.create(name=f"{MARKER} planners")
    custom_field_create(entity="item", key="marker", label=f"{MARKER} field", user=boss)
    api_key_create(name=f"{MARKER} integration", scope=ApiKey.Scope.READ_WRITE, user=boss, created_by=boss)


PUBLIC_APPS = {"tenants", "fleet", "support", "cells"}  # the registry and the fleet's, support's, moves' records


def acme_ids(acme) -> dict[type[Model], str]:
    """model -> the pk of its newest row in acme (public-schema models: acme's own row where there is one)."""
    ids: dict[type[Model], str] = {}
    with schema_context(acme.schema_name):  # the harness reads every table, public ones too: as the owner
        for model in apps.get_models():
            if model._meta.app_label in PUBLIC_APPS:
                row = model.objects.filter(pk=acme.pk).first() if model._meta.model_name == "tenant" else None
                row = row or model.objects.order_by("-pk").first()
            else:
                row = model.objects.order_by("-pk").first()
            if row is not None:
                ids[model] = str(row.pk)
            elif model._meta.app_label in PUBLIC_APPS:  # fleet records that do not exist yet: a plausible id
                ids[model] = "1"
    return ids


def _model_of(route: Route) -> type[Model] | None:
    view = route.callback
    while view is not None:  # ModelAdmin views: the wrapper names the ModelAdmin, or wraps one of its methods
        model_admin = getattr(view, "model_admin", None) or getattr(view, "__self__", None)
        if isinstance(model_admin, admin.ModelAdmin):
            return model_admin.model
        view = getattr(view, "__wrapped__", None)
    view_class = getattr(route.callback, "cls", None)
    queryset = getattr(view_class, "queryset", None)
    if queryset is not None:
        return queryset.model
    if route.name in VIEW_MODELS:
        return apps.get_model(VIEW_MODELS[route.name])
    return None


def fill(route: Route, ids: dict[type[Model], str], actions: dict[str, list[str]]) -> list[str]:
    """Every concrete path for `route`, its parameters set to acme's objects; a parameter we cannot fill fails."""
    values: dict[str, list[str]] = {}
    model = _model_of(route)
    item_model = apps.get_model("inventory.Item")
    for param in route.params:
        if param in route.choices:
            values[param] = route.choices[param]
        elif param == "object_id" and "content_type_id" in route.params:  # the admin's view-on-site redirect
            values[param] = [ids[item_model]]
        elif param in {"pk", "object_id", "id"}:
            if model is None or model not in ids:
                pytest.fail(f"attack suite: no acme object for {param!r} of {route.template} ({route.name}); add one")
            values[param] = [ids[model]]
        elif param == "item_id":
            values[param] = [ids[item_model]]
        elif param in {"kind", "action"} and route.name in actions:
            values[param] = actions[route.name]
        elif param == "content_type_id":
            values[param] = [str(ContentType.objects.get_for_model(item_model).pk)]
        elif param == "uidb64":
            values[param] = [base64.urlsafe_b64encode(ids[get_user_model()].encode()).decode().rstrip("=")]
        elif param == "token":
            values[param] = ["set-password"]
        elif param == "url":  # the admin's catch-all
            values[param] = ["no-such-page/"]
        else:
            pytest.fail(f"attack suite: does not know how to fill {{{param}}} in {route.template} ({route.name})")
    paths = ["/" + route.template]
    for param, options in values.items():
        paths = [p.replace("{" + param + "}", option) for p in paths for option in options]
    return paths


# --- Attacks ---------------------------------------------------------------------------------------------------------


def _write_body(path: str) -> tuple[str, str]:
    fields = {"name": f"pwned {MARKER}", "code": "PWNED", "quantity": "1", "note": "pwned", "reason": "pwned"}
    if path.startswith("/api/"):
        return json.dumps(fields), "application/json"
    return urlencode(fields), "application/x-www-form-urlencoded"


def _acme_writes(schema: str) -> dict[str, int]:
    """Rows inserted, updated or deleted in `schema` by this transaction so far (aborted subtransactions too), by
    table."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT relname, n_tup_ins + n_tup_upd + n_tup_del FROM pg_stat_xact_user_tables "
            "WHERE schemaname = %s AND relname <> 'django_session' AND n_tup_ins + n_tup_upd + n_tup_del > 0",
            [schema],
        )
        return dict(cursor.fetchall())


def _acme_row_counts(schema: str) -> dict[str, int]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT tablename FROM pg_tables WHERE schemaname = %s AND tablename <> 'django_session'", [schema]
        )
        tables = sorted(row[0] for row in cursor.fetchall())
        counts = {}
        for table in tables:
            cursor.execute(f'SELECT count(*) FROM "{schema}"."{table}"')
            counts[table] = cursor.fetchone()[0]
        return counts


def _body(response) -> str:
    content = b"".join(response.streaming_content) if response.streaming else response.content
    headers = " ".join(f"{key}: {value}" for key, value in response.items())
    return f"{headers}\n{content.decode(errors='replace')}"


@dataclass
class Attacker:
    label: str
    host: str
    make_client: Callable[[], Client]
    headers: dict[str, str]
    on_victim_host: bool
    cell: str = DEFAULT_CELL  # where the attacker's tenant lives (tests/cells/test_cell_attack.py: another cell)


@contextlib.contextmanager
def _rolled_back(cells: list[str]) -> Iterator[None]:
    """Whatever an attempt writes on these cells (in the transaction each is in) is undone after it."""
    savepoints = []
    for cell in cells:
        with routing.on_cell(cell):
            savepoints.append((cell, transaction.savepoint_create()))
    try:
        yield
    finally:
        for cell, sid in reversed(savepoints):
            with routing.on_cell(cell):
                transaction.savepoint_rollback(sid)
                connection.set_schema_to_public()


def run_attacks(attackers: list[Attacker], paths: list[str], acme, counter: dict[str, int]) -> list[str]:
    """Send every method to every path as every attacker; return the findings (empty when nothing leaked).

    The victim `acme` may live on another cell than the control plane and the attacker (tests/cells): its writes are
    counted on its cell's connection, and every cell the attempt can touch must be in a transaction (the test's)."""
    findings: list[str] = []
    markers = [MARKER.lower()]
    victim_cell = getattr(acme, "cell", DEFAULT_CELL)
    before: dict[str, int] | None = None
    for attacker in attackers:
        client = attacker.make_client()
        forbidden = markers if attacker.on_victim_host else [*markers, acme.name.lower()]
        cells = list(dict.fromkeys([DEFAULT_CELL, victim_cell, attacker.cell]))
        for path in paths:
            for method in METHODS:
                body, content_type = _write_body(path) if method in {"POST", "PUT", "PATCH"} else ("", None)
                with _rolled_back(cells):
                    if before is None:  # else the last attempt's count: rolling back a savepoint leaves it as it is
                        with routing.on_cell(victim_cell):
                            before = _acme_writes(acme.schema_name)
                    kwargs = {"content_type": content_type} if content_type else {}
                    response = client.generic(method, path, body, headers=attacker.headers, **kwargs)
                    counter["attempts"] += 1
                    if attacker.cell != victim_cell:
                        counter["across cells"] = counter.get("across cells", 0) + 1
                    where = f"{attacker.label}: {method} {path} -> {response.status_code}"
                    text = _body(response).lower()
                    leaked = [marker for marker in forbidden if marker in text]
                    if leaked:
                        findings.append(f"{where} shows acme's data ({leaked})")
                    user = getattr(response.wsgi_request, "user", None)
                    if attacker.on_victim_host and user is not None and user.is_authenticated:
                        findings.append(f"{where} authenticated the attacker as {user} on acme's host")
                    with routing.on_cell(victim_cell):
                        after = _acme_writes(acme.schema_name)
                    writes = {table: n - before.get(table, 0) for table, n in after.items() if n != before.get(table)}
                    before = after
                    if writes:
                        findings.append(f"{where} wrote row(s) in acme's schema: {writes}")
                    if response.status_code >= 500:  # a crash is a finding too: it may hide a leak behind it
                        findings.append(f"{where}: a server error")
    return findings


# --- The suite -------------------------------------------------------------------------------------------------------


def prepare_victim(acme) -> None:
    """acme's objects (create_acme_objects) and an idempotency record, on acme's cell, in the transaction there."""
    with routing.tenant_on_cell(acme):
        boss = get_user_model().objects.get(username="boss")
        create_acme_objects(boss)
        client = Client(HTTP_HOST=host_of(acme))
        client.force_login(boss)
    response = client.post(  # an idempotency record: only the API writes those
        "/api/v1/partners/",
        {"code": f"I-{MARKER}", "name": f"{MARKER} integrator", "is_customer": True},
        content_type="application/json",
        headers={IDEMPOTENCY_HEADER: MARKER},
    )
    assert response.status_code == 201, response.content
    connection.set_schema_to_public()


def victim_ids(acme) -> dict[type[Model], str]:
    with routing.on_cell(getattr(acme, "cell", DEFAULT_CELL)):
        return acme_ids(acme)


def victim_row_counts(acme) -> dict[str, int]:
    with routing.on_cell(getattr(acme, "cell", DEFAULT_CELL)):
        return _acme_row_counts(acme.schema_name)


@pytest.fixture
def victim(acme):
    prepare_victim(acme)
    return acme


def session_of(tenant) -> str:
    """The session key of `tenant`'s boss (every tenant's boss has the same username and id)."""
    client = Client(HTTP_HOST=host_of(tenant))
    with routing.tenant_on_cell(tenant):
        boss = get_user_model().objects.get(username="boss")
        client.force_login(boss)
    connection.set_schema_to_public()
    return client.cookies[settings.SESSION_COOKIE_NAME].value


@pytest.fixture
def globex_session(globex) -> str:
    """The session key of globex's boss, who has the same username (and id) as acme's boss."""
    return session_of(globex)


def attacker_credentials(tenant, settings, *, basic: bool = True) -> dict[str, str]:
    """Authorization headers that are valid on `tenant`'s host only: its JWT, an API key and (`basic`) Basic auth."""
    credentials = _token_credentials(tenant)
    # The walk posts junk to every sign-in form from one address: past the limit, the victim's audit log would (by
    # design) record the lock, a write in its schema. The suite tests isolation, not lockout (test_auth_lockout.py).
    settings.SIGNIN_FAILURES_PER_USER = settings.SIGNIN_FAILURES_PER_ADDRESS = 10**6
    if not basic:
        return credentials
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # thousands of Basic logins
    settings.API_BASIC_AUTH = True  # off by default; the attack tries it as a deployment that turned it on would
    with routing.tenant_on_cell(tenant):
        get_user_model().objects.create_superuser(ATTACKER_USERNAME, "mallory@globex.test", ATTACKER_PASSWORD)
    connection.set_schema_to_public()
    basic_token = base64.b64encode(f"{ATTACKER_USERNAME}:{ATTACKER_PASSWORD}".encode()).decode()
    credentials["basic"] = f"Basic {basic_token}"
    return credentials


@pytest.fixture
def globex_credentials(globex, settings) -> dict[str, str]:
    """Authorization headers that are valid on globex's host only."""
    return attacker_credentials(globex, settings)


def _token_credentials(globex) -> dict[str, str]:
    """globex's JWT (for its boss: the same username and id as acme's boss) and a read-write API key of globex."""
    client = Client(HTTP_HOST=host_of(globex))
    response = client.post(
        "/api/v1/auth/token/", {"username": "boss", "password": ADMIN_PASSWORD}, content_type="application/json"
    )
    assert response.status_code == 200, response.content
    with routing.tenant_on_cell(globex):
        boss = get_user_model().objects.get(username="boss")
        key = api_key_create(name="attacker", scope=ApiKey.Scope.READ_WRITE, user=boss, created_by=boss).key
    connection.set_schema_to_public()
    return {"jwt": f"Bearer {response.json()['access']}", "api key": f"Api-Key {key}"}


def attack_paths(ids) -> list[str]:
    actions = _action_values()
    return [path for route in walk_urls() for path in fill(route, ids, actions)]


def session_client(host: str, session_key: str) -> Callable[[], Client]:
    def make() -> Client:
        client = Client(HTTP_HOST=host, raise_request_exception=False)
        client.cookies[settings.SESSION_COOKIE_NAME] = session_key
        return client

    return make


def check(findings: list[str]) -> None:
    assert not findings, f"{len(findings)} cross-tenant finding(s):\n" + "\n".join(findings[:50])


def test_the_walk_covers_ui_api_and_admin(victim, acme):
    paths = attack_paths(acme_ids(acme))
    assert any(p.startswith("/api/v1/items/") for p in paths)
    assert any(p.startswith("/admin/inventory/item/") for p in paths)
    assert any(p.startswith("/inventory/items/") for p in paths)


def test_globex_session_replayed_on_acme_host_gets_nothing(victim, acme, globex_session, attack_counter):
    before = _acme_row_counts(acme.schema_name)
    attacker = Attacker("session replay", host_of(acme), session_client(host_of(acme), globex_session), {}, True)
    check(run_attacks([attacker], attack_paths(acme_ids(acme)), acme, attack_counter))
    assert _acme_row_counts(acme.schema_name) == before


def test_globex_credentials_on_acme_host_get_nothing(victim, acme, globex_credentials, attack_counter):
    before = _acme_row_counts(acme.schema_name)
    attackers = [
        Attacker(
            f"globex {kind} on acme",
            host_of(acme),
            lambda: Client(HTTP_HOST=host_of(acme), raise_request_exception=False),
            {"Authorization": header},
            True,
        )
        for kind, header in globex_credentials.items()
    ]
    check(run_attacks(attackers, attack_paths(acme_ids(acme)), acme, attack_counter))
    assert _acme_row_counts(acme.schema_name) == before


def test_acme_ids_on_globex_host_get_nothing_of_acme(victim, acme, globex, globex_session, attack_counter):
    before = _acme_row_counts(acme.schema_name)
    attacker = Attacker(
        "globex on its host", host_of(globex), session_client(host_of(globex), globex_session), {}, False
    )
    check(run_attacks([attacker], attack_paths(acme_ids(acme)), acme, attack_counter))
    assert _acme_row_counts(acme.schema_name) == before


def _crash(request):
    raise RuntimeError("a view that crashes")


urlpatterns = [url_path("crash/", _crash)]  # ROOT_URLCONF of the guard below


def test_a_server_error_is_a_finding(acme, globex_session, settings, attack_counter):
    """Guards the suite itself: a 5xx fails it rather than being printed and passed over."""
    settings.ROOT_URLCONF = __name__
    attacker = Attacker("session replay", host_of(acme), session_client(host_of(acme), globex_session), {}, True)
    findings = run_attacks([attacker], ["/crash/"], acme, attack_counter)
    assert findings and all("a server error" in finding for finding in findings)


def test_the_attacker_credentials_work_on_their_own_host(globex, globex_credentials, globex_session):
    """Guards the suite itself: a credential that works nowhere would make the attacks above prove nothing."""
    for kind, header in globex_credentials.items():
        client = Client(HTTP_HOST=host_of(globex))
        assert client.get("/api/v1/items/", headers={"Authorization": header}).status_code == 200, kind
    client = session_client(host_of(globex), globex_session)()
    assert client.get("/api/v1/items/").status_code == 200
