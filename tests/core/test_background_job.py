"""Background jobs share one base (status, owner, timestamps, failure) and one page; moving onto it changed no table."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command

from core.models import BackgroundJob
from inventory.models import ItemImport


def test_item_import_is_a_background_job_on_its_old_table():
    assert issubclass(ItemImport, BackgroundJob)
    assert ItemImport._meta.db_table == "inventory_itemimport"
    assert ItemImport.Status.FAILED == "failed"


@pytest.mark.django_db
def test_moving_item_import_onto_the_base_is_a_no_op_in_the_database():
    out = io.StringIO()
    call_command("sqlmigrate", "inventory", "0008", stdout=out)
    statements = [line for line in out.getvalue().splitlines() if line and not line.startswith("--")]
    assert statements == ["BEGIN;", "COMMIT;"]
