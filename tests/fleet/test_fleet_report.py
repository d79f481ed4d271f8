"""The cross-tenant ops report: per-tenant counts through the ORM, sizes from the catalog, CSV and admin."""

import csv
import io

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django_tenants.utils import tenant_context

from fleet import report
from fleet.models import TenantReportRow
from tenants import reports
from tests.fleet.fleet_support import committed_db, committed_tenants

db = committed_db
pytestmark = pytest.mark.usefixtures("db")


def test_fleet_report_csv_has_each_tenants_counts_size_and_last_activity(django_db_blocker):
    with committed_tenants(django_db_blocker, "rep-a") as (tenant,):
        with tenant_context(tenant):
            for i in range(4):
                get_user_model().objects.create_user(username=f"worker{i}", email=f"w{i}@rep-a.test")
            get_user_model().objects.filter(username="worker0").update(last_login="2026-01-02T03:04:05Z")
        try:
            out = io.StringIO()
            call_command("fleet_report", "--csv", stdout=out)
            rows = {row["slug"]: row for row in csv.DictReader(io.StringIO(out.getvalue()))}
            assert {"acme", "globex", "rep-a"} <= set(rows)
            assert rows["rep-a"]["users"] == "5"
            assert rows["acme"]["users"] == "1"
            assert int(rows["rep-a"]["schema_bytes"]) > 100_000
            assert rows["rep-a"]["last_activity"].startswith("2026-01-02T03:04:05")
            assert "items" in rows["rep-a"]  # inventory's figure, there whether or not the app has data
        finally:
            TenantReportRow.objects.all().delete()


def test_a_registered_metric_appears_in_the_report(django_db_blocker):
    reports.metric("admins")(lambda: get_user_model().objects.filter(is_superuser=True).count())
    try:
        rows = {row.tenant.slug: row for row in report.collect_fleet_report()}
        assert rows["acme"].metrics["admins"] == 1
        assert "admins" in report.report_columns()
    finally:
        reports.METRICS.pop("admins")
        TenantReportRow.objects.all().delete()


def test_report_is_visible_in_the_public_admin(django_db_blocker):
    report.collect_fleet_report()
    admin = get_user_model().objects.create_superuser("report-admin", "root@example.test", "pw-123456789")
    try:
        client = Client(HTTP_HOST="localhost")
        client.force_login(admin)
        page = client.get("/admin/fleet/tenantreportrow/")
        assert page.status_code == 200
        assert b"acme" in page.content and b"MB" in page.content
        assert client.get("/admin/fleet/fanoutrun/").status_code == 200
    finally:
        with connection.cursor() as cursor:
            cursor.execute("DELETE FROM public.auth_user WHERE id = %s", [admin.pk])
        TenantReportRow.objects.all().delete()
