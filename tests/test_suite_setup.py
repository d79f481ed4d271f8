"""The test suite's own set-up: the base database workers copy, the test-only fan-out job, the quick selection."""

import subprocess
import sys

from django.db import connection

from tests.support import REPO, subprocess_env


def test_this_sessions_database_is_a_copy_of_a_complete_base_kept_for_the_next_run(django_db_setup, django_db_blocker):
    root = connection.settings_dict["NAME"].rsplit("_gw", 1)[0]
    with django_db_blocker.unblock(), connection.cursor() as cursor:
        cursor.execute(
            "SELECT datname, shobj_description(oid, 'pg_database') FROM pg_database WHERE datname LIKE %s",
            [root.replace("_", r"\_") + r"\_tpl%"],
        )
        assert [comment for _, comment in cursor.fetchall()] == ["complete"]


def test_the_sleep_job_is_registered_by_the_tests_not_by_production_code():
    code = "import django; django.setup(); from fleet.jobs import JOBS; print(sorted(JOBS))"
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO, env=subprocess_env(), capture_output=True, text=True, check=True
    )
    assert "sleep" not in result.stdout and "tenant_stats" in result.stdout

    from fleet.jobs import JOBS

    assert "sleep" in JOBS  # tests/conftest.py registers it for this process


def test_the_quick_selection_leaves_out_the_slow_kinds():
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "--collect-only", "-q", "-m", "not slow", "-p", "no:cacheprovider"],
        cwd=REPO, env=subprocess_env(), capture_output=True, text=True, check=True,
    )  # fmt: skip
    collected = [line for line in result.stdout.splitlines() if "::" in line]
    assert len(collected) > 500
    files = {line.split("::")[0] for line in collected}
    for slow in ("tests/browser/", "tests/fleet/", "test_pgbouncer.py", "test_edge.py", "test_localservices.py"):
        assert not [path for path in files if slow in path], slow
    assert not [line for line in collected if "test_real_worker_runs_each_task" in line]  # @pytest.mark.worker
