"""Un-complete: a work order's completions are undone by the work order itself (output and consumption moves
reversed, components reserved again, back in progress), never by reversing its moves bare."""

import datetime
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django_tenants.utils import tenant_context

from inventory.models import StockLevel, StockMove
from inventory.selectors import ledger_balance, reservation_mismatches
from inventory.services import MoveBelongsToDocument, stock_issue, stock_move_reverse, stock_receive
from production.models import ProductionEvent, WorkOrder
from production.services import (
    ProductionError,
    TransitionNotAllowed,
    work_order_complete,
    work_order_create,
    work_order_release,
    work_order_start,
    work_order_uncomplete,
)

D = Decimal
DUE = datetime.date(2027, 1, 31)


def level(item, location):
    row = StockLevel.objects.filter(item=item, location=location).first()
    return (row.on_hand, row.reserved) if row else (D(0), D(0))


@pytest.fixture
def parts(item, make_bom, receiving, planner):
    """PUMP = 2 HOUSING + 1 SEAL; 25 HOUSING and 12 SEAL in stock."""
    pump, housing, seal = item("PUMP"), item("HOUSING"), item("SEAL")
    make_bom(pump, (housing, 2), (seal, 1))
    stock_receive(item=housing, location=receiving, quantity=25, user=planner)
    stock_receive(item=seal, location=receiving, quantity=12, user=planner)
    return pump, housing, seal


@pytest.fixture
def done(parts, planner):
    """A work order for 10 pumps, released, started and completed in full."""
    work_order = work_order_create(item=parts[0], quantity=10, due_date=DUE, user=planner)
    work_order_release(work_order=work_order, user=planner)
    work_order_start(work_order=work_order, user=planner)
    work_order_complete(work_order=work_order, user=planner)
    return work_order


def test_reversing_a_work_orders_output_bare_is_refused_and_names_un_complete(done, parts, receiving, planner):
    output = StockMove.objects.get(source_id=done.pk, reason="production_output")
    with pytest.raises(MoveBelongsToDocument, match=rf"work order {done.number}: undo it with un-complete"):
        stock_move_reverse(move=output, user=planner)
    assert level(parts[0], receiving) == (D(10), D(0))
    assert WorkOrder.objects.get(pk=done.pk).state == "done"


def test_uncomplete_reverses_output_and_consumption_and_reserves_the_components_again(done, parts, receiving, planner):
    pump, housing, seal = parts
    work_order_uncomplete(work_order=done, user=planner)
    done.refresh_from_db()
    assert (done.state, done.completed_quantity, done.finished_at) == ("in_progress", D(0), None)
    assert level(pump, receiving) == (D(0), D(0))
    assert level(housing, receiving) == (D(25), D(20))
    assert level(seal, receiving) == (D(12), D(10))
    assert ledger_balance(item=housing, location=receiving) == D(25)
    components = {c.item.sku: (c.reserved_quantity, c.consumed_quantity) for c in done.components.all()}
    assert components == {"HOUSING": (D(20), D(0)), "SEAL": (D(10), D(0))}
    reversals = StockMove.objects.filter(reverses__isnull=False, source_id=done.pk)
    assert reversals.count() == 3
    assert ProductionEvent.objects.filter(work_order_id=done.pk, action="wo_uncompleted").exists()
    assert reservation_mismatches() == []


def test_an_uncompleted_work_order_completes_again(done, parts, receiving, planner):
    work_order_uncomplete(work_order=done, user=planner)
    work_order_complete(work_order=done, user=planner)
    assert WorkOrder.objects.get(pk=done.pk).state == "done"
    assert level(parts[0], receiving) == (D(10), D(0))
    assert level(parts[1], receiving) == (D(5), D(0))
    assert reservation_mismatches() == []


def test_uncomplete_of_partial_completions_reverses_each(parts, receiving, planner):
    work_order = work_order_create(item=parts[0], quantity=10, due_date=DUE, user=planner)
    work_order_release(work_order=work_order, user=planner)
    work_order_start(work_order=work_order, user=planner)
    work_order_complete(work_order=work_order, user=planner, quantity=4)
    work_order_complete(work_order=work_order, user=planner, quantity=3)
    work_order_uncomplete(work_order=work_order, user=planner)
    assert level(parts[0], receiving) == (D(0), D(0))
    assert level(parts[1], receiving) == (D(25), D(20))
    assert WorkOrder.objects.get(pk=work_order.pk).completed_quantity == 0


def test_uncomplete_is_refused_when_the_output_has_been_used(done, parts, receiving, planner):
    stock_issue(item=parts[0], location=receiving, quantity=3, user=planner)
    moves = StockMove.objects.count()
    with pytest.raises(ProductionError, match="its output is no longer all there"):
        work_order_uncomplete(work_order=done, user=planner)
    assert StockMove.objects.count() == moves
    assert WorkOrder.objects.get(pk=done.pk).state == "done"
    assert level(parts[1], receiving) == (D(5), D(0))


def test_uncomplete_of_a_released_work_order_is_refused(parts, planner):
    work_order = work_order_create(item=parts[0], quantity=1, due_date=DUE, user=planner)
    work_order_release(work_order=work_order, user=planner)
    with pytest.raises(TransitionNotAllowed, match="nothing has been completed"):
        work_order_uncomplete(work_order=work_order, user=planner)


def test_uncomplete_of_an_in_progress_work_order_with_nothing_completed_is_refused(parts, planner):
    work_order = work_order_create(item=parts[0], quantity=1, due_date=DUE, user=planner)
    work_order_release(work_order=work_order, user=planner)
    work_order_start(work_order=work_order, user=planner)
    with pytest.raises(TransitionNotAllowed, match="nothing has been completed"):
        work_order_uncomplete(work_order=work_order, user=planner)


@pytest.fixture
def api(acme, acme_client):
    with tenant_context(acme):
        acme_client.force_login(get_user_model().objects.get(username="boss"))
    return acme_client


def test_api_uncomplete(api, done, parts, receiving):
    response = api.post(f"/api/v1/production/work-orders/{done.pk}/uncomplete/", {}, content_type="application/json")
    assert response.status_code == 200, response.content
    assert response.json()["state"] == "in_progress"
    assert level(parts[0], receiving) == (D(0), D(0))


def test_api_uncomplete_when_the_output_is_gone_answers_400(api, done, parts, receiving, planner):
    stock_issue(item=parts[0], location=receiving, quantity=10, user=planner)
    response = api.post(f"/api/v1/production/work-orders/{done.pk}/uncomplete/", {}, content_type="application/json")
    assert response.status_code == 400
    assert "no longer all there" in response.json()["state"][0]


def test_another_tenant_cannot_uncomplete_this_tenants_work_order(done, globex, globex_client):
    with tenant_context(globex):
        globex_client.force_login(get_user_model().objects.get(username="boss"))
    url = f"/api/v1/production/work-orders/{done.pk}/uncomplete/"
    api_answer = globex_client.post(url, {}, content_type="application/json")
    page = globex_client.post(f"/production/work-orders/{done.pk}/uncomplete/", {"confirm": "on"})
    assert (api_answer.status_code, page.status_code) == (404, 404)


def test_the_work_order_page_un_completes_only_when_confirmed(api, done, parts, receiving):
    url = f"/production/work-orders/{done.pk}/uncomplete/"
    page = api.get(f"/production/work-orders/{done.pk}/").content.decode()
    assert url in page and "finished goods leave stock" in page
    api.post(url, {})
    assert WorkOrder.objects.get(pk=done.pk).state == "done"
    api.post(url, {"confirm": "on"})
    assert WorkOrder.objects.get(pk=done.pk).state == "in_progress"
