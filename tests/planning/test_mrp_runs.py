"""MRP as long work: a run is queued from the UI, computed by a Celery task in the sender's schema, and its page
shows progress, then the planned lines; past runs are listed per tenant, and no tenant sees another's runs."""

import datetime

import pytest
from django_tenants.utils import tenant_context

from inventory.models import Location
from inventory.services import stock_receive
from planning.models import MrpRun
from planning.runs import mrp_run_execute
from planning.services import InvalidMrpRun, mrp_run_create
from planning.tasks import run_mrp
from tests.conftest import host_of
from tests.inventory.conftest import logged_in
from tests.production.factories import WorkOrderFactory


@pytest.fixture
def queued(monkeypatch):
    sent = []
    monkeypatch.setattr(run_mrp, "delay", lambda run_id: sent.append(run_id))
    return sent


@pytest.fixture
def web(acme, acme_client):
    return logged_in(acme_client, acme)


@pytest.fixture
def pump_order(item, make_bom, planner):
    """A draft work order for 2 PUMP (= 2 HOUSING + 1 GASKET each): 10 HOUSING in stock, no GASKET."""
    pump, housing, gasket = item("PUMP"), item("HOUSING"), item("GASKET")
    make_bom(pump, (housing, 2), (gasket, 1))
    stock_receive(item=housing, location=Location.objects.get(is_default_receiving=True), quantity=10, user=planner)
    due = datetime.date.today() + datetime.timedelta(days=60)
    return WorkOrderFactory(item=pump, quantity=2, due_date=due)


def test_starting_a_run_queues_the_task_with_its_id_once_committed(
    in_acme, planner, queued, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        run = mrp_run_create(user=planner, horizon_days=30)
    assert queued == [run.pk]
    assert (run.status, run.horizon_days, run.created_by) == ("pending", 30, planner)


def test_the_queued_task_carries_the_senders_schema_in_its_headers(in_acme, monkeypatch):
    from celery import Celery

    sent = []
    monkeypatch.setattr(Celery, "send_task", lambda self, name, **options: sent.append((name, options)))
    run_mrp.delay(42)
    assert sent[0][0] == "production.run_mrp"
    assert list(sent[0][1]["args"]) == [42]
    assert sent[0][1]["headers"]["_schema_name"] == "acme"


def test_the_task_computes_the_run_and_keeps_its_planned_lines(in_acme, pump_order, queued):
    run = mrp_run_create(user=None)
    assert run_mrp.apply(args=[run.pk]).get() == {"run": run.pk, "status": "done", "lines": 1}
    run.refresh_from_db()
    [line] = run.lines
    assert (line["sku"], line["action"], line["shortage"], line["gross_requirement"]) == ("GASKET", "buy", "2", "2")
    assert line["need_date"] == pump_order.due_date.isoformat()
    assert run.status == "done" and run.started_at and run.finished_at and run.late_count == 0


def test_the_horizon_leaves_out_demand_due_after_it(in_acme, pump_order):
    assert mrp_run_execute(run_id=mrp_run_create(user=None, horizon_days=30).pk).lines == []
    assert mrp_run_execute(run_id=mrp_run_create(user=None, horizon_days=90).pk).line_count == 1


def test_a_redelivered_task_does_not_compute_a_finished_run_again(in_acme, pump_order):
    run = mrp_run_execute(run_id=mrp_run_create(user=None).pk)
    finished_at = run.finished_at
    MrpRun.objects.filter(pk=run.pk).update(lines=[])
    again = mrp_run_execute(run_id=run.pk)
    assert again.lines == [] and again.finished_at == finished_at


def test_the_task_marks_the_run_failed_after_its_last_retry(in_acme, monkeypatch):
    run = mrp_run_create(user=None)

    def broken(**kwargs):
        raise RuntimeError("demand source is down")

    monkeypatch.setattr("planning.engine.mrp_plan", broken)
    result = run_mrp.apply(args=[run.pk], retries=run_mrp.max_retries)
    assert result.failed()
    run.refresh_from_db()
    assert run.status == "failed" and "demand source is down" in run.failure


@pytest.mark.parametrize("horizon", [0, -5, 731, 2.5, "30", True])
def test_a_bad_horizon_is_refused_and_nothing_is_queued(in_acme, queued, horizon):
    with pytest.raises(InvalidMrpRun, match="from 1 to 730"):
        mrp_run_create(user=None, horizon_days=horizon)
    assert not MrpRun.objects.exists()


# --- Pages ----------------------------------------------------------------------------------------------------------
def test_starting_a_run_from_the_page_goes_to_its_progress_page(web, in_acme, queued):
    response = web.post("/production/mrp/", {"horizon_days": "14"})
    run = MrpRun.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/production/mrp/runs/{run.pk}/"
    assert run.horizon_days == 14 and run.created_by.username == "boss"


@pytest.mark.parametrize("horizon", ["0", "-3", "abc", "100000", "1.5"])
def test_a_bad_horizon_is_a_form_error_on_its_field(web, in_acme, queued, horizon):
    response = web.post("/production/mrp/", {"horizon_days": horizon})
    assert response.status_code == 400
    assert response.context["form"].errors["horizon_days"]
    assert 'aria-invalid="true"' in response.content.decode()
    assert not MrpRun.objects.exists() and queued == []


def test_an_empty_horizon_plans_all_demand(web, in_acme, queued):
    assert web.post("/production/mrp/", {"horizon_days": ""}).status_code == 302
    assert MrpRun.objects.get().horizon_days is None


def test_a_pending_run_page_refreshes_itself_then_shows_the_result_and_stops(web, in_acme, pump_order):
    run = mrp_run_create(user=None)
    response = web.get(f"/production/mrp/runs/{run.pk}/")
    assert response["Refresh"] == "2"
    page = response.content.decode()
    assert "Waiting to start" in page and "This page refreshes itself" in page and "GASKET" not in page
    MrpRun.objects.filter(pk=run.pk).update(status="running")
    assert web.get(f"/production/mrp/runs/{run.pk}/")["Refresh"] == "2"
    mrp_run_execute(run_id=run.pk)
    response = web.get(f"/production/mrp/runs/{run.pk}/")
    page = response.content.decode()
    assert "Refresh" not in response
    assert "GASKET" in page and "Buy" in page and "1 item short" in page


def test_a_failed_run_page_says_why_and_stops_refreshing(web, in_acme):
    run = MrpRun.objects.create(status="failed", failure="the run failed 4 times; last error: boom")
    response = web.get(f"/production/mrp/runs/{run.pk}/")
    assert "Refresh" not in response
    assert "The run failed: the run failed 4 times; last error: boom" in response.content.decode()


def test_a_run_with_no_shortage_says_so(web, in_acme):
    run = mrp_run_execute(run_id=mrp_run_create(user=None).pk)
    assert "No shortages" in web.get(f"/production/mrp/runs/{run.pk}/").content.decode()


def test_past_runs_are_listed_newest_first_with_their_state_and_result(web, in_acme, pump_order):
    done = mrp_run_execute(run_id=mrp_run_create(user=None).pk)
    pending = mrp_run_create(user=None, horizon_days=7)
    page = web.get("/production/mrp/").content.decode()
    assert page.index(f'href="/production/mrp/runs/{pending.pk}/"') < page.index(
        f'href="/production/mrp/runs/{done.pk}/"'
    )
    assert "1 item short" in page and "7 days" in page and "All demand" in page
    assert f'aria-label="Run #{pending.pk} in progress"' in page


def test_the_run_pages_need_a_login(acme_client, in_acme):
    run = mrp_run_create(user=None)
    for url in ("/production/mrp/", f"/production/mrp/runs/{run.pk}/"):
        assert acme_client.get(url).status_code == 302


def test_an_unknown_run_is_a_404(web, in_acme):
    assert web.get("/production/mrp/runs/999999/").status_code == 404


# --- Isolation ------------------------------------------------------------------------------------------------------
@pytest.fixture
def acme_run(acme, pump_order):
    with tenant_context(acme):
        return mrp_run_execute(run_id=mrp_run_create(user=None).pk)


def test_globex_cannot_see_acmes_run_by_guessing_its_id_on_its_own_host(acme_run, globex, globex_client):
    client = logged_in(globex_client, globex)
    response = client.get(f"/production/mrp/runs/{acme_run.pk}/")
    assert response.status_code == 404
    assert b"GASKET" not in response.content
    page = client.get("/production/mrp/").content.decode()
    assert f'href="/production/mrp/runs/{acme_run.pk}/"' not in page and "No runs yet." in page


def test_globex_session_on_acmes_host_is_sent_to_log_in(acme_run, acme, globex, globex_client):
    client = logged_in(globex_client, globex)
    for url in (f"/production/mrp/runs/{acme_run.pk}/", "/production/mrp/"):
        response = client.get(url, HTTP_HOST=host_of(acme))
        assert response.status_code == 302 and "/login/" in response["Location"]
        assert b"GASKET" not in response.content
    assert client.post("/production/mrp/", {"horizon_days": "5"}, HTTP_HOST=host_of(acme)).status_code == 302
    with tenant_context(acme):
        assert list(MrpRun.objects.values_list("pk", flat=True)) == [acme_run.pk]
