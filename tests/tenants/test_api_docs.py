from django.contrib.auth import get_user_model
from django_tenants.utils import tenant_context


def test_api_docs_pages_answer_options_with_405_not_a_server_error(acme_client):
    for path in ("/api/schema/swagger/", "/api/schema/redoc/"):
        assert acme_client.options(path).status_code == 405


def test_swagger_ui_loads_its_assets_from_our_own_static_files(acme, acme_client):
    with tenant_context(acme):
        acme_client.force_login(get_user_model().objects.get(username="boss"))
    body = acme_client.get("/api/schema/swagger/").content.decode()
    assert "/static/drf_spectacular_sidecar/swagger-ui-dist/" in body
    assert "cdn.jsdelivr.net" not in body
