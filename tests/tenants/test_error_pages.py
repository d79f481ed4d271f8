"""Styled 404, 500 and unknown-workspace pages, each with one h1 and links to go on; the unknown-workspace link keeps
the port (and scheme) the visitor used."""

import re

import pytest
from django.conf import settings
from django.template.loader import render_to_string
from django.test import Client
from django_tenants.utils import tenant_context

from tests.conftest import host_of


def _one_h1(page: str) -> None:
    assert len(re.findall(r"<h1[\s>]", page)) == 1


def test_unknown_workspace_links_to_the_public_site_on_the_same_port(db):
    page = Client(HTTP_HOST=f"initech.{settings.BASE_DOMAIN}:8000").get("/").content.decode()
    assert f'href="http://{settings.BASE_DOMAIN}:8000/"' in page
    _one_h1(page)


def test_unknown_workspace_link_without_a_port_has_none(db):
    page = Client(HTTP_HOST=f"initech.{settings.BASE_DOMAIN}").get("/").content.decode()
    assert f'href="http://{settings.BASE_DOMAIN}/"' in page


def test_unknown_workspace_link_keeps_https(db):
    response = Client(HTTP_HOST=f"initech.{settings.BASE_DOMAIN}:8443").get("/", secure=True)
    assert f'href="https://{settings.BASE_DOMAIN}:8443/"' in response.content.decode()


def test_unknown_workspace_page_is_styled(db):
    page = Client(HTTP_HOST=f"initech.{settings.BASE_DOMAIN}").get("/").content.decode()
    assert "css/app.css" in page and 'lang="en"' in page


def test_a_missing_page_of_a_tenant_is_a_styled_404_with_navigation(acme, acme_client):
    with tenant_context(acme):
        from django.contrib.auth import get_user_model

        acme_client.force_login(get_user_model().objects.get(username="boss"))
    response = acme_client.get("/no/such/page/")
    page = response.content.decode()
    assert response.status_code == 404
    _one_h1(page)
    assert "Page not found" in page and "/no/such/page/" in page
    assert 'href="/inventory/"' in page and 'aria-label="Main"' in page  # the app's navigation too
    assert "Acme Test Plant" in page


def test_a_missing_page_signed_out_offers_sign_in(acme, acme_client):
    page = acme_client.get("/no/such/page/").content.decode()
    assert 'href="/accounts/login/"' in page


def test_a_missing_record_is_the_same_404_page(acme, acme_client):
    with tenant_context(acme):
        from django.contrib.auth import get_user_model

        acme_client.force_login(get_user_model().objects.get(username="boss"))
    response = acme_client.get("/inventory/items/987654/")
    assert response.status_code == 404 and "Page not found" in response.content.decode()


def test_a_missing_page_on_the_public_site_is_a_styled_404(db):
    response = Client(HTTP_HOST=settings.BASE_DOMAIN).get("/no/such/page/")
    assert response.status_code == 404
    page = response.content.decode()
    assert "Page not found" in page and "css/app.css" in page
    _one_h1(page)


def test_the_500_page_stands_alone_with_a_way_back():
    page = render_to_string("500.html")
    _one_h1(page)
    assert "Something went wrong" in page and 'href="/"' in page and "css/app.css" in page


@pytest.mark.urls("tests.tenants.failing_urls")
def test_an_unhandled_error_answers_the_500_page(acme):
    client = Client(HTTP_HOST=host_of(acme), raise_request_exception=False)
    response = client.get("/boom/")
    assert response.status_code == 500
    assert "Something went wrong" in response.content.decode()
