"""The password-reset page sends its mail or says it could not; it never claims a mail went out when none did."""

import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest

from erp.localservices import free_port

REPO = Path(__file__).resolve().parents[2]
URL = "/accounts/password_reset/"


@pytest.fixture
def mail_configured(settings):
    settings.MAILERS = {"default": {"BACKEND": "django.core.mail.backends.locmem.EmailBackend"}}


def test_a_reset_with_mail_configured_sends_the_link_and_says_so(acme_client, mail_configured, mailoutbox):
    response = acme_client.post(URL, {"email": "boss@acme.test"})
    assert response.status_code == 302 and response["Location"].endswith("/accounts/password_reset/done/")
    assert len(mailoutbox) == 1 and mailoutbox[0].to == ["boss@acme.test"]
    assert "acme." in mailoutbox[0].body and "/accounts/reset/" in mailoutbox[0].body


def test_without_any_mail_backend_the_page_says_reset_by_mail_is_unavailable(acme_client, settings, mailoutbox):
    settings.MAILERS = {}
    response = acme_client.post(URL, {"email": "boss@acme.test"})
    assert response.status_code == 503
    assert "not available on this server" in response.content.decode()
    assert mailoutbox == []


def test_unknown_addresses_get_the_same_unavailable_answer(acme_client, settings):
    settings.MAILERS = {}
    assert acme_client.post(URL, {"email": "nobody@nowhere.test"}).status_code == 503


def test_a_reset_without_an_address_is_a_400_even_without_mail(acme_client, settings):
    settings.MAILERS = {}
    assert acme_client.post(URL, {"email": "not-an-address"}).status_code == 400
    assert acme_client.post(URL, {}).status_code == 400


def test_a_mail_server_that_refuses_is_an_error_on_the_page_logged_with_the_tenant(acme_client, settings, caplog):
    smtp = {"host": "127.0.0.1", "port": free_port(), "timeout": 2}  # nobody listens there
    settings.MAILERS = {"default": {"BACKEND": "django.core.mail.backends.smtp.EmailBackend", "OPTIONS": smtp}}
    with caplog.at_level(logging.ERROR, logger="tenants.password_reset"):
        response = acme_client.post(URL, {"email": "boss@acme.test"})
    assert response.status_code == 503
    assert "could not be sent" in response.content.decode()
    assert any("tenant acme" in record.getMessage() for record in caplog.records)


def test_globex_reset_page_does_not_send_to_acmes_users(globex_client, mail_configured, mailoutbox):
    response = globex_client.post(URL, {"email": "boss@acme.test"})
    assert response.status_code == 302 and mailoutbox == []


def _email_settings(**env: str) -> str:
    code = "m = mail.mailers.get('default'); print(type(m).__module__.rsplit('.', 1)[-1], getattr(m, 'host', None))"
    clean = {k: v for k, v in os.environ.items() if k not in {"EMAIL_URL", "DEBUG"}}
    result = subprocess.run(
        [sys.executable, "-c", f"import django; django.setup(); from django.core import mail; {code}"],
        cwd=REPO, env={**clean, "DJANGO_SETTINGS_MODULE": "erp.settings", **env}, capture_output=True, text=True,
        check=True, timeout=60,
    )  # fmt: skip
    return result.stdout.strip()


def test_email_url_configures_smtp_and_debug_alone_prints_to_the_console():
    assert _email_settings(EMAIL_URL="smtp+tls://u:p@mail.example:587") == "smtp mail.example"
    assert _email_settings(DEBUG="true") == "console None"
    assert _email_settings(EMAIL_URL="consolemail://") == "console None"  # what `make run` sets
    assert _email_settings() == "builtins None"  # production without EMAIL_URL: no mailer at all (None)
