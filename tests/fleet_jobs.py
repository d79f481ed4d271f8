"""Fan-out jobs for tests only: registered in the test process by tests/conftest.py and in the Celery workers tests
start by `--include tests.fleet_jobs` (tests.support.start_celery_worker)."""

import time

from django.contrib.auth import get_user_model
from django.db import connection

from fleet.jobs import fleet_job


@fleet_job("sleep", "sleep `seconds` (default 0) and say where it ran: for tests and scheduling checks")
def sleep(params: dict) -> dict:
    started = time.time()
    time.sleep(float(params.get("seconds", 0)))
    users = list(get_user_model().objects.order_by("email").values_list("email", flat=True))
    return {"schema": connection.schema_name, "users": users, "started": started, "finished": time.time()}
