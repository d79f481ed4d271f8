"""Signed-in pages read the session and the user through prepared statements (access.sessions, access.signin): the
same rules as Django's database sessions and ModelBackend."""

import datetime

from django.contrib.auth import get_user_model
from django.contrib.sessions.models import Session
from django.utils import timezone
from django_tenants.utils import tenant_context

from access.signin import SignInLimitBackend


def _signed_in(acme, acme_client):
    with tenant_context(acme):
        boss = get_user_model().objects.get(username="boss")
        acme_client.force_login(boss)
    return boss


def test_a_live_session_opens_the_dashboard_as_its_user(acme, acme_client):
    _signed_in(acme, acme_client)
    response = acme_client.get("/")
    assert response.status_code == 200
    assert b'<span class="who">boss</span>' in response.content


def test_an_expired_session_signs_nobody_in(acme, acme_client):
    _signed_in(acme, acme_client)
    with tenant_context(acme):
        Session.objects.update(expire_date=timezone.now() - datetime.timedelta(seconds=1))
    response = acme_client.get("/inventory/")
    assert response.status_code == 302
    assert "login" in response["Location"]


def test_a_session_of_a_user_made_inactive_since_signs_nobody_in(acme, acme_client):
    boss = _signed_in(acme, acme_client)
    with tenant_context(acme):
        get_user_model().objects.filter(pk=boss.pk).update(is_active=False)
    assert acme_client.get("/inventory/").status_code == 302


def test_the_backend_finds_an_active_user_by_id_and_nobody_for_an_unknown_one(in_acme):
    boss = get_user_model().objects.get(username="boss")
    backend = SignInLimitBackend()
    assert backend.get_user(boss.pk) == boss
    assert backend.get_user(2_000_000_000) is None
