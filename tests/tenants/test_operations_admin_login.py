"""The operations admin on the public host: signing in and out works without a `next` parameter."""

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.test import Client


@pytest.fixture
def ops(db):
    return get_user_model().objects.create_superuser("ops-login", "ops@example.test", "ops-login-pass-1")


def test_operations_sign_in_without_next_lands_on_a_page_of_the_public_host(ops):
    client = Client(HTTP_HOST=settings.BASE_DOMAIN, raise_request_exception=False)
    response = client.post("/admin/login/", {"username": "ops-login", "password": "ops-login-pass-1"})
    assert response.status_code == 302
    assert client.get(response["Location"], follow=True).status_code == 200
    assert client.get("/admin/").status_code == 200


def test_operations_sign_out_without_next_lands_on_a_page_of_the_public_host(ops):
    client = Client(HTTP_HOST=settings.BASE_DOMAIN, raise_request_exception=False)
    client.force_login(ops)
    response = client.post("/admin/logout/")
    assert response.status_code in {200, 302}
    if response.status_code == 302:
        assert client.get(response["Location"], follow=True).status_code == 200
