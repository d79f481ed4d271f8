from django.contrib.auth import get_user_model
from django_tenants.utils import tenant_context

from tests.conftest import ADMIN_PASSWORD


def test_tenant_user_signs_in_on_their_own_host(acme_client):
    response = acme_client.post("/accounts/login/", {"username": "boss", "password": ADMIN_PASSWORD})
    assert response.status_code == 302
    assert "Signed in as boss" in acme_client.get("/").content.decode()


def test_credentials_of_another_tenant_do_not_sign_in(acme, globex, globex_client):
    with tenant_context(acme):
        get_user_model().objects.create_user(username="acme-only", password="acme-only-pass")
    response = globex_client.post("/accounts/login/", {"username": "acme-only", "password": "acme-only-pass"})
    assert response.status_code == 200
    assert b"Please enter a correct username and password" in response.content
    assert "Signed in as" not in globex_client.get("/").content.decode()


def test_login_page_names_the_tenant_whose_data_is_behind_it(globex_client):
    body = globex_client.get("/accounts/login/").content.decode()
    assert "Sign in to Globex Test Plant" in body
    assert "Premium plan" in body


def test_anonymous_visitor_sees_no_workspace_data(acme_client):
    body = acme_client.get("/").content.decode()
    assert "in this workspace" not in body
    assert 'href="/accounts/login/"' in body


def test_sign_out_ends_the_session(acme, acme_client):
    with tenant_context(acme):
        acme_client.force_login(get_user_model().objects.get(username="boss"))
    assert "Signed in as boss" in acme_client.get("/").content.decode()
    acme_client.post("/accounts/logout/")
    assert "Signed in as" not in acme_client.get("/").content.decode()
