"""migrate_fleet over two cells: each cell's tenants migrated on their own server, a run per cell."""

import io

import pytest
from django.core.management import call_command
from django.db import connection

from cells import routing
from fleet.models import FleetMigrationRecord, FleetMigrationRun
from tests.cells.conftest import CELL
from tests.fleet.fleet_support import applied, committed_db, unapply

pytestmark = pytest.mark.usefixtures("db")  # committed: the runs commit per schema, from threads of their own

db = committed_db
SESSIONS = ("sessions", "0001_initial")


def test_migrate_fleet_migrates_the_tenants_of_each_cell_on_their_own_server(west_and_east):
    west, east = west_and_east
    unapply(west.schema_name, "sessions", "zero")
    with routing.on_cell(CELL):
        unapply(east.schema_name, "sessions", "zero")
        assert SESSIONS not in applied(east.schema_name)
    assert SESSIONS not in applied(west.schema_name)
    try:
        out = io.StringIO()
        call_command("migrate_fleet", "--skip-shared", "--concurrency", "2", stdout=out, stderr=io.StringIO())

        runs = {run.cell: run for run in FleetMigrationRun.objects.all()}
        assert set(runs) == {"default", CELL}
        assert {run.status for run in runs.values()} == {"ok"}
        east_records = {r.schema_name: r.status for r in FleetMigrationRecord.objects.filter(run=runs[CELL])}
        west_records = {r.schema_name: r.status for r in FleetMigrationRecord.objects.filter(run=runs["default"])}
        assert east_records == {east.schema_name: "ok"}
        assert west_records == {west.schema_name: "ok"}
        assert SESSIONS in applied(west.schema_name)
        with routing.on_cell(CELL):
            assert SESSIONS in applied(east.schema_name)
        assert f"cell {CELL}: fleet migration #{runs[CELL].pk} ok" in out.getvalue()
    finally:
        connection.set_schema_to_public()
        FleetMigrationRun.objects.all().delete()


def test_the_ops_report_covers_every_cell_with_a_cell_column(west_and_east, items_on_each_cell):
    from fleet.models import TenantReportRow
    from fleet.report import collect_fleet_report, report_columns, report_rows

    west, east = west_and_east
    try:
        collect_fleet_report(tenants=[west, east])
        rows = {row["slug"]: row for row in report_rows()}
        assert "cell" in report_columns()
        assert (rows[west.slug]["cell"], rows[west.slug]["items"]) == ("default", 1)
        assert (rows[east.slug]["cell"], rows[east.slug]["items"]) == (CELL, 1)
        assert rows[east.slug]["schema_bytes"] > 0
    finally:
        TenantReportRow.objects.filter(tenant__in=[west, east]).delete()


def test_migrate_schemas_refuses_in_one_line_when_tenants_live_on_another_cell(west_and_east):
    from django.core.management.base import CommandError

    _, east = west_and_east
    for options in ({}, {"tenant": True}, {"schema_name": east.schema_name}):
        with pytest.raises(CommandError, match=rf"on cell {CELL}, which migrate_schemas does not reach: run "):
            call_command("migrate_schemas", interactive=False, verbosity=0, **options)


def test_migrate_schemas_still_migrates_the_shared_apps_and_a_tenant_of_its_own_cell(west_and_east):
    west, east = west_and_east
    unapply(west.schema_name, "sessions", "zero")
    try:
        call_command("migrate_schemas", shared=True, interactive=False, verbosity=0)
        call_command("migrate_schemas", schema_name=west.schema_name, interactive=False, verbosity=0)
        assert SESSIONS in applied(west.schema_name)
        with routing.on_cell(CELL):  # on east's own cell, east is within reach
            call_command("migrate_schemas", schema_name=east.schema_name, interactive=False, verbosity=0)
    finally:
        connection.set_schema_to_public()
