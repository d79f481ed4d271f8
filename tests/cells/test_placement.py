"""Where new tenants go, and provisioning that fails between the two databases leaving nothing."""

import pytest
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django_tenants.utils import schema_exists

from cells import routing
from cells.placement import NoCellAvailable, cell_tenant_counts, choose_cell
from tenants.models import Tenant
from tenants.services import tenant_create
from tests.cells.conftest import CELL

pytestmark = pytest.mark.django_db


def test_a_new_tenant_goes_to_the_cell_with_the_fewest_tenants():
    counts = cell_tenant_counts()
    assert counts["default"] >= 2  # acme and globex
    expected = CELL if counts[CELL] < counts["default"] else "default"
    assert choose_cell(plan=Tenant.Plan.FREE) == expected


def test_a_dedicated_plan_gets_an_empty_cell_and_refuses_when_none_is_left(settings):
    settings.CELL_DEDICATED_PLANS = [Tenant.Plan.PREMIUM]
    if cell_tenant_counts()[CELL] == 0:
        assert choose_cell(plan=Tenant.Plan.PREMIUM) == CELL
    Tenant.objects.create(schema_name="occupant", slug="occupant", name="Occupant", cell=CELL)
    with pytest.raises(NoCellAvailable, match="add one to CELLS"):
        choose_cell(plan=Tenant.Plan.PREMIUM)


def test_a_cell_holding_a_dedicated_tenant_takes_no_other(settings):
    settings.CELL_DEDICATED_PLANS = [Tenant.Plan.PREMIUM]
    Tenant.objects.create(schema_name="vip", slug="vip", name="VIP", plan=Tenant.Plan.PREMIUM, cell=CELL)
    assert choose_cell(plan=Tenant.Plan.FREE) == "default"


def test_create_tenant_with_an_unknown_cell_exits_2_with_one_line():
    with pytest.raises(CommandError) as refused:
        call_command("create_tenant", "nowhere", "--name=N", "--admin-email=a@b.test", "--cell=mars")
    assert refused.value.returncode == 2
    assert str(refused.value) == "unknown cell 'mars': the cells are default, east"
    assert not Tenant.objects.filter(slug="nowhere").exists()


def test_a_failure_after_the_cell_committed_drops_the_schema_there_and_leaves_no_registry_row(monkeypatch):
    real_save = Tenant.save

    def save_then_fail_on_activation(self, *args, **kwargs):
        if kwargs.get("update_fields") and self.status == Tenant.Status.ACTIVE:
            raise RuntimeError("control plane lost at activation")
        return real_save(self, *args, **kwargs)

    monkeypatch.setattr(Tenant, "save", save_then_fail_on_activation)
    with pytest.raises(RuntimeError, match="lost at activation"):
        tenant_create(slug="halfway", name="Halfway", admin_email="boss@halfway.test", cell=CELL)
    assert not Tenant.objects.filter(slug="halfway").exists()
    with routing.on_cell(CELL):
        connection.set_schema_to_public()
        assert not schema_exists("halfway")


def test_two_dedicated_tenants_provisioned_at_once_never_share_a_cell(settings):
    import threading

    from django.db import connections

    from tests.cells.conftest import drop

    settings.CELL_DEDICATED_PLANS = [Tenant.Plan.PREMIUM]
    assert cell_tenant_counts()[CELL] == 0
    barrier = threading.Barrier(2)
    outcomes: dict[str, object] = {}

    def create(slug: str) -> None:
        try:
            barrier.wait()
            outcomes[slug] = tenant_create(
                slug=slug, name=slug, admin_email=f"boss@{slug}.test", plan=Tenant.Plan.PREMIUM
            ).tenant
        except Exception as exc:
            outcomes[slug] = exc
        finally:
            routing.close_cell_connections()
            connections.close_all()

    threads = [threading.Thread(target=create, args=(slug,)) for slug in ("vip-one", "vip-two")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    winners = [outcome for outcome in outcomes.values() if isinstance(outcome, Tenant)]
    losers = [outcome for outcome in outcomes.values() if not isinstance(outcome, Tenant)]
    try:
        assert [winner.cell for winner in winners] == [CELL]
        assert len(losers) == 1 and isinstance(losers[0], NoCellAvailable), losers
        loser_slug = next(slug for slug, outcome in outcomes.items() if outcome is losers[0])
        with routing.on_cell(CELL):
            connection.set_schema_to_public()
            assert not schema_exists(loser_slug.replace("-", "_"))
    finally:
        for winner in winners:
            drop(winner)


def test_create_tenant_on_a_cell_says_where_and_refills_that_cells_spare_pool():
    import io

    from tenants.models import SpareSchema
    from tests.cells.conftest import drop
    from tests.support import committed

    out = io.StringIO()
    committed(
        lambda: call_command(
            "create_tenant", "oncmd", "--name=On Cmd", "--admin-email=boss@oncmd.test", f"--cell={CELL}", stdout=out
        )
    )
    tenant = committed(lambda: Tenant.objects.get(slug="oncmd"))
    try:
        assert f"created tenant oncmd at http://oncmd.{settings.BASE_DOMAIN}/ (cell {CELL})" in out.getvalue()
        with routing.on_cell(CELL):
            assert SpareSchema.objects.count() == 1  # TENANT_SPARE_SCHEMAS for these tests
    finally:
        drop(tenant)


def test_a_tenant_on_a_cell_that_is_not_configured_gets_a_503_page_and_no_data():
    from django.test import Client

    from tenants.models import Domain

    tenant = Tenant.objects.create(schema_name="orphan", slug="orphan", name="Orphan", cell="retired", status="active")
    Domain.objects.create(domain=f"orphan.{settings.BASE_DOMAIN}", tenant=tenant, is_primary=True)
    response = Client(HTTP_HOST=f"orphan.{settings.BASE_DOMAIN}").get("/api/v1/items/")
    assert response.status_code == 503
    assert response.json() == {
        "detail": f"The workspace at orphan.{settings.BASE_DOMAIN} is not ready yet. Try again in a minute."
    }
    assert routing.current_cell() == "default"
