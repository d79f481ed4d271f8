"""CSV import of items: per-row policy, line numbers, progress, the task and its page."""

from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from customfields.models import CustomField
from inventory.models import Item, ItemImport
from inventory.services import ImportRefused, item_import_create, item_import_run
from inventory.tasks import import_items
from tests.inventory.factories import ItemFactory

GOOD_AND_BAD = (
    "sku,name,uom,kind,reorder_point,standard_cost,cf_colour\n"
    "BOLT-10,Bolt M10,pcs,component,100,0.12,zinc\n"
    "NUT-10,Hex nut,boxes,component,,,\n"
    ",No sku,pcs,,,,\n"
    "WASHER-10,Washer,pcs,component,-5,,\n"
    "OIL-1,Cutting oil,l,consumable,2,3.5,\n"
)


@pytest.fixture(autouse=True)
def custom_fields(request):
    """Custom fields of items the files name (cf_colour, or attr.colour as files before definitions did)."""
    if "in_acme" in request.fixturenames:
        request.getfixturevalue("in_acme")
        for key in ("colour", "grade"):
            CustomField.objects.create(entity="item", key=key, label=key.capitalize())


@pytest.fixture
def queued(monkeypatch):
    sent = []
    monkeypatch.setattr(import_items, "delay", lambda job_id: sent.append(job_id))
    return sent


def run(text: str) -> ItemImport:
    job = ItemImport.objects.create(file_name="items.csv", content=text, total_rows=text.count("\n") - 1)
    return item_import_run(job_id=job.pk)


def test_valid_rows_are_kept_and_each_bad_row_is_reported_with_its_line(in_acme):
    job = run(GOOD_AND_BAD)
    assert job.status == ItemImport.Status.DONE
    assert sorted(Item.objects.values_list("sku", flat=True)) == ["BOLT-10", "OIL-1"]
    assert [(error["line"], error["sku"]) for error in job.errors] == [(3, "NUT-10"), (4, ""), (5, "WASHER-10")]
    reasons = [error["reason"] for error in job.errors]
    assert "unknown unit 'boxes'" in reasons[0]
    assert reasons[1] == "sku is empty"
    assert "reorder_point must be zero or more" in reasons[2]
    assert (job.created_count, job.updated_count, job.processed_rows) == (2, 0, 5)


def test_imported_fields_and_custom_attributes_are_stored_exactly(in_acme):
    run(GOOD_AND_BAD)
    bolt = Item.objects.get(sku="BOLT-10")
    assert (bolt.reorder_point, bolt.standard_cost, bolt.attributes) == (
        Decimal(100),
        Decimal("0.12"),
        {"colour": "zinc"},
    )


def test_a_known_sku_is_updated_and_empty_cells_keep_its_values(in_acme):
    ItemFactory(sku="BOLT-10", name="Old name", reorder_point=7, attributes={"grade": "8.8"})
    job = run("sku,name,reorder_point,attr.colour\nBOLT-10,,12,zinc\n")
    bolt = Item.objects.get(sku="BOLT-10")
    assert (job.created_count, job.updated_count) == (0, 1)
    assert (bolt.name, bolt.reorder_point, bolt.attributes) == (
        "Old name",
        Decimal(12),
        {"grade": "8.8", "colour": "zinc"},
    )


def test_a_new_sku_without_name_or_unit_is_refused(in_acme):
    job = run("sku,name\nNEW-1,\n")
    assert job.errors == [{"line": 2, "sku": "NEW-1", "reason": "new item NEW-1 needs name and uom"}]


def test_a_file_with_an_unknown_column_is_refused_before_any_row(in_acme):
    job = run("sku,name,colour\nA,B,red\n")
    assert job.status == ItemImport.Status.FAILED
    assert "unknown column(s) colour" in job.failure
    assert not Item.objects.exists()


def test_upload_with_a_bad_header_is_refused_at_once(in_acme, queued):
    with pytest.raises(ImportRefused, match="sku column"):
        item_import_create(file_name="x.csv", data=b"name,uom\nA,pcs\n", user=None)
    assert not ItemImport.objects.exists()
    assert queued == []


def test_upload_queues_the_task_with_the_job_id_once_committed(in_acme, queued, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        job = item_import_create(file_name="items.csv", data=GOOD_AND_BAD.encode(), user=None)
    assert queued == [job.pk]
    assert job.total_rows == 5


def test_the_task_runs_the_import_in_the_senders_schema(in_acme):
    job = ItemImport.objects.create(file_name="items.csv", content="sku,name,uom\nGEAR-1,Gear,pcs\n", total_rows=1)
    result = import_items.apply(args=[job.pk])
    assert result.get()["status"] == "done"
    assert Item.objects.filter(sku="GEAR-1").exists()


def test_a_redelivered_task_does_not_import_a_finished_job_again(in_acme):
    job = run("sku,name,uom\nGEAR-1,Gear,pcs\n")
    Item.objects.filter(sku="GEAR-1").update(name="Renamed since")
    again = item_import_run(job_id=job.pk)
    assert again.created_count == 1
    assert Item.objects.get(sku="GEAR-1").name == "Renamed since"


def test_upload_page_sends_the_user_to_the_progress_page(acme_api, in_acme, queued):
    upload = SimpleUploadedFile("items.csv", GOOD_AND_BAD.encode(), content_type="text/csv")
    response = acme_api.post("/inventory/imports/new/", {"file": upload})
    job = ItemImport.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/inventory/imports/{job.pk}/"


def test_upload_page_shows_a_bad_header_on_the_file_field(acme_api, in_acme, queued):
    upload = SimpleUploadedFile("items.csv", b"colour\nred\n", content_type="text/csv")
    response = acme_api.post("/inventory/imports/new/", {"file": upload})
    assert response.status_code == 400
    assert "unknown column(s) colour" in response.context["form"].errors["file"][0]


def test_progress_page_refreshes_while_running_and_lists_refused_rows_when_done(acme_api, in_acme):
    pending = ItemImport.objects.create(file_name="items.csv", content=GOOD_AND_BAD, total_rows=5)
    assert acme_api.get(f"/inventory/imports/{pending.pk}/")["Refresh"] == "2"
    item_import_run(job_id=pending.pk)
    response = acme_api.get(f"/inventory/imports/{pending.pk}/")
    page = response.content.decode()
    assert "Refresh" not in response
    assert "2 items created" in page and "3 rows refused" in page
    assert "unknown unit &#x27;boxes&#x27;" in page


def test_the_queued_task_carries_the_senders_schema_in_its_headers(in_acme, monkeypatch):
    from celery import Celery

    sent = []
    monkeypatch.setattr(Celery, "send_task", lambda self, name, **options: sent.append((name, options)))
    import_items.delay(42)
    assert sent[0][0] == "inventory.import_items"
    assert list(sent[0][1]["args"]) == [42]
    assert sent[0][1]["headers"]["_schema_name"] == "acme"


def test_imported_rows_are_audited_under_the_user_who_uploaded_the_file(in_acme, clerk, queued):
    from audit.models import AuditEntry

    ItemFactory(sku="NUT-10", name="Old nut")
    data = b"sku,name,uom\nBOLT-10,Bolt M10,pcs\nNUT-10,Hex nut,\n"
    job = item_import_create(file_name="items.csv", data=data, user=clerk)
    item_import_run(job_id=job.pk)
    created = AuditEntry.objects.get(action="inventory.item_create", object_id=str(Item.objects.get(sku="BOLT-10").pk))
    updated = AuditEntry.objects.get(action="inventory.item_update", object_id=str(Item.objects.get(sku="NUT-10").pk))
    for entry in (created, updated):
        assert (entry.user_id, entry.username) == (clerk.pk, "clerk")
