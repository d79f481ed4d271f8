"""Lines per BOM are capped (DOCUMENT_MAX_LINES): 2,000 duplicate lines are refused at once on `lines`, before the
per-line checks, and saving a long BOM costs the same number of queries as a short one."""

import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from core.limits import TooManyLines
from production.models import Bom
from production.services import bom_create
from tests.inventory.conftest import logged_in

BASE = "/api/v1/production"


@pytest.fixture
def acme_api(acme, acme_client):
    return logged_in(acme_client, acme)


def post(client, url, body):
    return client.post(url, json.dumps(body), content_type="application/json")


def test_two_thousand_duplicate_lines_are_refused_on_lines_without_a_query_per_line(
    acme_api, item, django_assert_max_num_queries
):
    bike, frame = item("BIKE"), item("FRAME")
    body = {"item": bike.pk, "version": "1", "lines": [{"component": frame.pk, "quantity": "1"}] * 2000}
    with django_assert_max_num_queries(12):
        response = post(acme_api, f"{BASE}/boms/", body)
    assert response.status_code == 400
    assert response.json() == {"lines": ["at most 1,000 lines in one document (2,000 sent); split it into several"]}
    assert not Bom.objects.exists()


def test_the_cap_is_a_setting(acme_api, item, settings):
    settings.DOCUMENT_MAX_LINES = 2
    bike, frame, wheel, seat = item("BIKE"), item("FRAME"), item("WHEEL"), item("SEAT")
    lines = [{"component": part.pk, "quantity": "1"} for part in (frame, wheel, seat)]
    response = post(acme_api, f"{BASE}/boms/", {"item": bike.pk, "version": "1", "lines": lines})
    assert response.status_code == 400
    assert "at most 2 lines" in response.json()["lines"][0]
    assert post(acme_api, f"{BASE}/boms/", {"item": bike.pk, "version": "1", "lines": lines[:2]}).status_code == 201


def test_bom_create_service_refuses_more_lines_than_the_cap(item, planner, settings):
    settings.DOCUMENT_MAX_LINES = 3
    bike = item("BIKE")
    parts = [item(f"PART-{n}") for n in range(4)]
    with pytest.raises(TooManyLines) as refused:
        bom_create(item=bike, lines=[{"component": part, "quantity": 1} for part in parts], user=planner)
    assert refused.value.field == "lines"
    assert not Bom.objects.exists()


def test_saving_a_bom_costs_the_same_queries_for_few_lines_as_for_many(acme_api, item):
    parts = [item(f"PART-{n:03d}") for n in range(40)]

    def queries(sku: str, count: int) -> int:
        lines = [{"component": part.pk, "quantity": "1"} for part in parts[:count]]
        with CaptureQueriesContext(connection) as captured:
            response = post(acme_api, f"{BASE}/boms/", {"item": item(sku).pk, "version": "1", "lines": lines})
        assert response.status_code == 201, response.json()
        assert len(response.json()["lines"]) == count
        return len(captured)

    queries("FIRST", 1)  # the first request of the session caches what it looks up once
    assert queries("SHORT", 2) == queries("LONG", 40)
