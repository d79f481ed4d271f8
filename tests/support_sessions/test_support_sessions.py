"""Support sessions: a public staff user reads a tenant for a while, read-only, audited; nothing crosses tenants."""

import datetime
from urllib.parse import urlsplit

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core import signing
from django.test import Client
from django.utils import timezone
from django_tenants.utils import tenant_context

from inventory.models import Location
from support import services as support
from support.models import SupportEvent, SupportGrant
from tests.conftest import host_of
from tests.inventory.factories import ItemFactory

REASON = "Ticket 4711: stock report looks wrong"


@pytest.fixture
def ops(db):
    """A public-schema operations superuser (the demo's `ops`)."""
    return get_user_model().objects.create_superuser("ops-support", "ops@example.test", "ops-pass-1")


@pytest.fixture
def ops_client(ops) -> Client:
    client = Client(HTTP_HOST=settings.BASE_DOMAIN)
    client.force_login(ops)
    return client


def start(ops_client: Client, tenant) -> str:
    """Open a session from the operations admin; the path (with token) the browser is sent to on the tenant host."""
    response = ops_client.post(f"/admin/tenants/tenant/{tenant.pk}/support/", {"reason": REASON, "minutes": 30})
    assert response.status_code == 302, response.content[:500]
    location = urlsplit(response["Location"])
    assert location.hostname == host_of(tenant)
    return f"{location.path}?{location.query}"


def entered(tenant, link: str) -> Client:
    client = Client(HTTP_HOST=host_of(tenant))
    response = client.get(link)
    assert response.status_code == 302 and response["Location"] == "/"
    return client


def grant_of(tenant) -> SupportGrant:
    return SupportGrant.objects.filter(tenant=tenant).latest("started_at")


def kinds(grant: SupportGrant) -> list[str]:
    return list(grant.events.values_list("kind", flat=True))


def test_staff_opens_a_session_and_reads_pages_api_and_admin(ops_client, acme):
    with tenant_context(acme):
        item = ItemFactory(name="Support-visible widget")
    client = entered(acme, start(ops_client, acme))
    grant = grant_of(acme)
    assert (grant.staff, grant.reason, grant.tenant_slug) == ("ops-support", REASON, "acme")
    assert grant.expires_at - grant.started_at == datetime.timedelta(minutes=30)
    home = client.get("/")
    assert home.status_code == 200
    banner = f"Support session by ops-support, read-only, ends {timezone.localtime(grant.expires_at):%H:%M}"
    assert banner in home.content.decode()
    assert "Support-visible widget" in client.get(f"/inventory/items/{item.pk}/").content.decode()
    assert client.get("/api/v1/items/").status_code == 200
    admin_page = client.get(f"/admin/inventory/item/{item.pk}/change/")
    assert admin_page.status_code == 200
    assert banner in admin_page.content.decode()
    assert 'name="_save"' not in admin_page.content.decode()  # view permission only: no save button
    assert kinds(grant) == ["start", "enter"]


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("post", "/api/v1/locations/"),
        ("post", "/admin/inventory/location/add/"),
        ("post", "/inventory/stock/receive/"),
        ("delete", "/api/v1/locations/1/"),
        ("patch", "/api/v1/locations/1/"),
        ("put", "/api/v1/locations/1/"),
    ],
)
def test_every_write_is_refused_recorded_and_nothing_written(ops_client, acme, method, path):
    client = entered(acme, start(ops_client, acme))
    with tenant_context(acme):
        before = Location.objects.count()
    data = {"code": "SUPPORT-1", "name": "Written by support"}
    response = getattr(client, method)(path, data, content_type="application/json")
    assert response.status_code == 403
    assert "read-only support session" in response.content.decode().lower()
    with tenant_context(acme):
        assert Location.objects.count() == before
        assert not Location.objects.filter(code="SUPPORT-1").exists()
    refused = grant_of(acme).events.get(kind=SupportEvent.Kind.WRITE_REFUSED)
    assert (refused.method, refused.path) == (method.upper(), path)


def test_a_write_is_refused_even_with_a_valid_csrf_token(ops_client, acme):
    client = Client(HTTP_HOST=host_of(acme), enforce_csrf_checks=True)
    client.get(start(ops_client, acme))
    page = client.get("/inventory/stock/receive/")
    token = page.context["csrf_token"]
    response = client.post("/inventory/stock/receive/", {"csrfmiddlewaretoken": str(token)})
    assert response.status_code == 403
    assert "nothing was changed" in response.content.decode()


def test_the_end_button_ends_the_session_at_once(ops_client, acme):
    client = entered(acme, start(ops_client, acme))
    assert client.post("/support/end/").status_code == 200
    grant = grant_of(acme)
    assert grant.ended_at is not None and grant.end_reason == "ended"
    assert kinds(grant) == ["start", "enter", "end"]
    response = client.get("/inventory/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]  # an anonymous visitor now


def test_an_expired_session_is_dead_at_once(ops_client, acme):
    client = entered(acme, start(ops_client, acme))
    assert client.get("/inventory/").status_code == 200
    grant = grant_of(acme)
    now = timezone.now()
    SupportGrant.objects.filter(pk=grant.pk).update(
        started_at=now - datetime.timedelta(minutes=31), expires_at=now - datetime.timedelta(seconds=1)
    )
    response = client.get("/inventory/")
    assert response.status_code == 403
    assert "support session has ended" in response.content.decode()
    assert client.get("/api/v1/items/").status_code in (401, 403)  # the browser session is gone too
    grant.refresh_from_db()
    assert grant.end_reason == "expired"
    assert kinds(grant) == ["start", "enter", "expire"]


def test_the_operations_admin_can_end_a_session(ops_client, acme):
    client = entered(acme, start(ops_client, acme))
    grant = grant_of(acme)
    ops_client.post(
        "/admin/support/supportgrant/", {"action": "end_sessions", "_selected_action": [grant.pk]}, follow=True
    )
    grant.refresh_from_db()
    assert grant.ended_by == "ops-support"
    assert client.get("/inventory/").status_code == 403


def test_a_link_works_once(ops_client, acme):
    link = start(ops_client, acme)
    entered(acme, link)
    again = Client(HTTP_HOST=host_of(acme)).get(link)
    assert again.status_code == 403
    assert "already used" in again.content.decode()
    assert kinds(grant_of(acme)) == ["start", "enter"]


def test_a_stale_link_is_refused(ops_client, acme, settings):
    link = start(ops_client, acme)
    settings.SUPPORT_LINK_SECONDS = -1
    response = Client(HTTP_HOST=host_of(acme)).get(link)
    assert response.status_code == 403
    assert "expired" in response.content.decode()
    assert grant_of(acme).token_used_at is None


def test_an_acme_link_does_not_open_globex(ops_client, acme, globex):
    link = start(ops_client, acme)
    response = Client(HTTP_HOST=host_of(globex)).get(link)
    assert response.status_code == 403
    assert "another tenant" in response.content.decode()
    entered(acme, link)  # still unused: it works where it belongs


def test_a_link_re_signed_for_globex_with_acme_grant_is_refused(ops_client, acme, globex):
    start(ops_client, acme)
    forged = signing.dumps({"grant": grant_of(acme).pk, "tenant": globex.schema_name}, salt=support.LINK_SALT)
    response = Client(HTTP_HOST=host_of(globex)).get(f"/support/enter/?token={forged}")
    assert response.status_code == 403


def test_a_tampered_link_is_refused(ops_client, acme):
    link = start(ops_client, acme)
    response = Client(HTTP_HOST=host_of(acme)).get(link[:-3] + "xyz")
    assert response.status_code == 403
    assert "not valid" in response.content.decode()


def test_an_acme_support_session_cookie_is_nothing_on_globex(ops_client, acme, globex):
    client = entered(acme, start(ops_client, acme))
    cookie = client.cookies[settings.SESSION_COOKIE_NAME].value
    thief = Client(HTTP_HOST=host_of(globex))
    thief.cookies[settings.SESSION_COOKIE_NAME] = cookie
    page = thief.get("/inventory/")
    assert page.status_code == 302 and "/accounts/login/" in page["Location"]
    assert thief.get("/api/v1/items/").status_code in (401, 403)


def test_a_session_holding_another_tenants_grant_is_refused(ops_client, acme, globex):
    """Even if a globex session somehow carried acme's grant id, the grant is checked against the host's tenant."""
    start(ops_client, acme)
    grant = grant_of(acme)
    SupportGrant.objects.filter(pk=grant.pk).update(token_used_at=timezone.now())
    client = Client(HTTP_HOST=host_of(globex))
    with tenant_context(globex):
        from django.contrib.sessions.backends.db import SessionStore

        session = SessionStore()
        session[support.SESSION_KEY] = grant.pk
        session.save()
    client.cookies[settings.SESSION_COOKIE_NAME] = session.session_key
    response = client.get("/inventory/")
    assert response.status_code == 403
    assert "ended" in response.content.decode()


def test_a_tenant_user_cannot_forge_the_flag(acme):
    """Cookies and headers named like the flag do nothing; a signed-in user stays who they are and may still write."""
    client = Client(HTTP_HOST=host_of(acme), HTTP_X_SUPPORT_GRANT="1")
    client.cookies[support.SESSION_KEY] = "1"
    with tenant_context(acme):
        client.force_login(get_user_model().objects.create_user("plain-clerk", password="clerk-pass-1"))
    home = client.get("/")
    assert home.status_code == 200
    assert "Support session by" not in home.content.decode()
    assert home.wsgi_request.user.get_username() == "plain-clerk"
    assert not hasattr(home.wsgi_request, "support_grant")


def test_non_staff_public_users_cannot_open_sessions(acme):
    clerk = get_user_model().objects.create_user("public-clerk", password="clerk-pass-1")
    client = Client(HTTP_HOST=settings.BASE_DOMAIN)
    client.force_login(clerk)
    response = client.post(f"/admin/tenants/tenant/{acme.pk}/support/", {"reason": REASON, "minutes": 30})
    assert response.status_code == 302 and "/admin/login/" in response["Location"]
    assert not SupportGrant.objects.exists()


def test_staff_without_the_permission_cannot_open_sessions(acme):
    staff = get_user_model().objects.create_user("public-staff", password="staff-pass-1", is_staff=True)
    client = Client(HTTP_HOST=settings.BASE_DOMAIN)
    client.force_login(staff)
    response = client.post(f"/admin/tenants/tenant/{acme.pk}/support/", {"reason": REASON, "minutes": 30})
    assert response.status_code == 403
    with pytest.raises(support.SupportRefused):
        support.support_session_start(staff=staff, tenant=acme, reason=REASON)
    assert not SupportGrant.objects.exists()


def test_a_reason_is_required(ops_client, acme):
    response = ops_client.post(f"/admin/tenants/tenant/{acme.pk}/support/", {"reason": "because", "minutes": 30})
    assert response.status_code == 200
    assert "Say why you need access" in response.content.decode()
    assert not SupportGrant.objects.exists()


def test_the_session_length_is_a_setting(ops, acme, settings):
    settings.SUPPORT_SESSION_MINUTES = 10
    grant, _ = support.support_session_start(staff=ops, tenant=acme, reason=REASON)
    assert grant.expires_at - grant.started_at == datetime.timedelta(minutes=10)


def test_a_tenant_superuser_cannot_open_sessions_from_a_tenant_host(acme, globex):
    """The admin site also serves tenant hosts: acme's own superuser must not reach globex (nor acme) from there."""
    client = Client(HTTP_HOST=host_of(acme))
    with tenant_context(acme):
        client.force_login(get_user_model().objects.create_superuser("acme-root", "r@acme.test", "root-pass-1"))
    for tenant in (globex, acme):
        response = client.post(f"/admin/tenants/tenant/{tenant.pk}/support/", {"reason": REASON, "minutes": 30})
        assert response.status_code == 404
    assert client.get("/admin/support/supportgrant/").status_code == 403
    with tenant_context(acme), pytest.raises(support.SupportRefused):
        support.support_session_start(staff=get_user_model().objects.get(username="acme-root"), tenant=globex,
                                      reason=REASON)  # fmt: skip
    assert not SupportGrant.objects.exists()


def test_a_new_link_works_in_a_browser_whose_last_session_ended(ops_client, acme):
    client = entered(acme, start(ops_client, acme))
    support.support_session_end(grant=grant_of(acme), by="ops-support")  # from the operations admin: cookie kept
    response = client.get(start(ops_client, acme))
    assert response.status_code == 302
    assert "Support session by ops-support" in client.get("/").content.decode()
