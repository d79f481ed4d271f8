"""Long work can be left and returned to: recent imports with their progress, a job page that refreshes itself."""

from inventory.models import ItemImport


def test_recent_imports_show_their_progress_and_link_to_each_job(acme_api, in_acme):
    running = ItemImport.objects.create(
        file_name="big.csv", content="sku\n", status="running", total_rows=200, processed_rows=50
    )
    page = acme_api.get("/inventory/imports/new/").content.decode()
    assert f'href="/inventory/imports/{running.pk}/"' in page
    assert 'value="25"' in page and "50/200" in page


def test_an_unfinished_job_page_refreshes_itself_and_a_finished_one_stops(acme_api, in_acme):
    job = ItemImport.objects.create(
        file_name="a.csv", content="sku\n", status="running", total_rows=4, processed_rows=1
    )
    response = acme_api.get(f"/inventory/imports/{job.pk}/")
    assert response["Refresh"] == "2"
    assert "This page refreshes itself." in response.content.decode()
    ItemImport.objects.filter(pk=job.pk).update(status="done", processed_rows=4)
    assert "Refresh" not in acme_api.get(f"/inventory/imports/{job.pk}/")


def test_a_failed_import_page_says_why_the_file_was_refused(acme_api, in_acme):
    job = ItemImport.objects.create(file_name="a.csv", content="x\n", status="failed", failure="the file is empty")
    page = acme_api.get(f"/inventory/imports/{job.pk}/").content.decode()
    assert "Failed." in page
    assert "The file was refused: the file is empty" in page
