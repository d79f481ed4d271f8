"""core.retry: a transaction that lost a deadlock runs again, a bounded number of times, then the caller gets a
domain error the API answers with 503 and Retry-After (never a 500)."""

from __future__ import annotations

import random
import threading

import psycopg.errors
import pytest
from django.db import IntegrityError, OperationalError, connection, transaction

from core import retry
from core.api import api_exception_handler
from core.errors import TransientConflict
from core.retry import retry_on_conflict


def deadlock() -> OperationalError:
    """What Django raises for PostgreSQL's 40P01: its OperationalError with the driver's error as the cause."""
    try:
        raise psycopg.errors.DeadlockDetected("deadlock detected")
    except psycopg.Error as cause:
        try:
            raise OperationalError("deadlock detected") from cause
        except OperationalError as exc:
            return exc


@pytest.fixture
def no_backoff(monkeypatch):
    monkeypatch.setattr(retry, "BACKOFF_SECONDS", 0)


def test_a_real_deadlock_is_run_again_and_both_writers_finish(db):
    first, second = random.sample(range(1 << 40), 2)  # advisory lock keys no other test takes
    both_hold_their_first_lock = threading.Barrier(2)
    runs: list[str] = []
    failures: list[BaseException] = []

    @retry_on_conflict
    def lock_both(name: str, keys: tuple[int, int]) -> None:
        runs.append(name)
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [keys[0]])
            if runs.count(name) == 1:
                both_hold_their_first_lock.wait(timeout=30)
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [keys[1]])  # one of the two is the deadlock victim

    def writer(name: str, keys: tuple[int, int]) -> None:
        try:
            lock_both(name, keys)
        except BaseException as exc:
            failures.append(exc)
        finally:
            connection.close()

    threads = [
        threading.Thread(target=writer, args=("a", (first, second))),
        threading.Thread(target=writer, args=("b", (second, first))),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert failures == []
    assert sorted(runs) in (["a", "a", "b"], ["a", "b", "b"])  # the victim ran twice


def test_a_deadlock_is_run_again_until_it_succeeds(no_backoff):
    calls = []

    @retry_on_conflict
    def flaky() -> str:
        calls.append(1)
        if len(calls) < 3:
            raise deadlock()
        return "done"

    assert flaky() == "done"
    assert len(calls) == 3


def test_the_retry_gives_up_after_its_bound_with_a_transient_conflict(no_backoff, monkeypatch):
    monkeypatch.setattr(retry, "ATTEMPTS", 3)
    calls = []

    @retry_on_conflict
    def always_deadlocks() -> None:
        calls.append(1)
        raise deadlock()

    with pytest.raises(TransientConflict, match="lost a deadlock with concurrent writers 3 times") as refused:
        always_deadlocks()
    assert len(calls) == 3
    assert isinstance(refused.value.__cause__, OperationalError)


def test_a_serialization_failure_is_retried_too(no_backoff):
    calls = []

    @retry_on_conflict
    def conflicting() -> str:
        calls.append(1)
        if len(calls) == 1:
            try:
                raise psycopg.errors.SerializationFailure("could not serialize access")
            except psycopg.Error as cause:
                raise OperationalError("could not serialize access") from cause
        return "done"

    assert conflicting() == "done"
    assert len(calls) == 2


def test_other_database_errors_are_not_retried(no_backoff):
    calls = []

    @retry_on_conflict
    def duplicate() -> None:
        calls.append(1)
        raise IntegrityError("duplicate key")

    with pytest.raises(IntegrityError):
        duplicate()
    assert len(calls) == 1


@pytest.mark.django_db
def test_inside_an_open_transaction_a_deadlock_is_left_to_the_transactions_owner(no_backoff):
    calls = []

    @retry_on_conflict
    def nested() -> None:
        calls.append(1)
        raise deadlock()

    with transaction.atomic(), pytest.raises(OperationalError):
        nested()
    assert len(calls) == 1


def test_the_api_answers_a_conflict_past_the_bound_with_503_and_retry_after():
    response = api_exception_handler(TransientConflict("try again in a moment"), {})

    assert response is not None
    assert (response.status_code, response.data, response["Retry-After"]) == (
        503,
        {"detail": "try again in a moment"},
        "1",
    )


def test_the_api_answers_a_deadlock_no_retry_owned_with_503_not_500():
    response = api_exception_handler(deadlock(), {})

    assert response is not None
    assert response.status_code == 503
    assert "deadlock" in response.data["detail"]


@pytest.mark.django_db
def test_a_stock_move_request_that_loses_a_deadlock_answers_503(acme, acme_client, monkeypatch):
    from django_tenants.utils import tenant_context

    from tests.inventory.conftest import logged_in
    from tests.inventory.factories import ItemFactory, LocationFactory

    with tenant_context(acme):
        item, bin_ = ItemFactory(sku="DEAD-1"), LocationFactory(code="DEAD")

    def lose(*args, **kwargs):
        raise deadlock()

    monkeypatch.setattr("inventory.services.moves._post_move", lose)
    api = logged_in(acme_client, acme)
    body = {"item": item.pk, "quantity": "1", "reason": "receipt", "to_location": bin_.pk}

    response = api.post("/api/v1/moves/", body, content_type="application/json")

    assert response.status_code == 503
    assert response["Retry-After"] == "1"
